import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { openDatabase } from '../src/db/client'
import { migrate } from '../src/db/migrate'
import { prepareDataDir, type TemplateChoice, templateDir } from '../src/db/pglite-data-dir'

// Templates in a directory of this file's own: the first database of each kind is made by initdb.
const root = await mkdtemp(join(tmpdir(), 'imgapi-datadir-'))
const empty: TemplateChoice = { kind: 'empty', root: join(root, 'cache') }
const migrated: TemplateChoice = { kind: 'migrated', root: join(root, 'cache') }

async function withDatabase<T>(dir: string, use: (run: (query: string) => Promise<unknown>) => T) {
  const database = await openDatabase({ kind: 'pglite', dir, template: empty })
  try {
    return await use(async (query) => {
      const result = await database.db.execute(sql.raw(query))
      return (result as unknown as { rows: Record<string, unknown>[] }).rows[0]
    })
  } finally {
    await database.close()
  }
}
const tableExists = (dir: string, table: string) =>
  withDatabase(dir, async (run) => {
    const row = (await run(`select to_regclass('${table}')::text as found`)) as { found: unknown }
    return typeof row.found === 'string'
  })

describe('a new embedded database', () => {
  afterAll(() => rm(root, { recursive: true, force: true }))

  test('is made by initdb in a child process the first time, and kept as the template', async () => {
    const dir = join(root, 'first', 'pglite')
    expect(await prepareDataDir(dir, empty)).toBe('initdb')
    expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true)
    expect(existsSync(join(await templateDir(empty), 'PG_VERSION'))).toBe(true)
    await withDatabase(dir, async (run) => {
      await run('create table written_here (n int)')
      await run('insert into written_here values (1)')
    })
    expect(await tableExists(dir, 'images')).toBe(false)
  })

  test('is a copy of the template after that, untouched by what other databases wrote', async () => {
    // An empty directory, as DATA_DIR/pglite is when an older version made it and stopped.
    const dir = join(root, 'second', 'pglite')
    await mkdir(dir, { recursive: true })
    expect(await prepareDataDir(dir, empty)).toBe('template')
    expect(await tableExists(dir, 'written_here')).toBe(false)
    expect(await tableExists(join(root, 'first', 'pglite'), 'written_here')).toBe(true)
  })

  test('is not made over an existing one', async () => {
    const dir = join(root, 'first', 'pglite')
    expect(await prepareDataDir(dir, empty)).toBe('existing')
    expect(await tableExists(dir, 'written_here')).toBe(true)
  })

  test('replaces what an interrupted start left beside it', async () => {
    const parent = join(root, 'third')
    const leftover = join(parent, 'pglite.new-interrupted')
    await mkdir(leftover, { recursive: true })
    await writeFile(join(leftover, 'PG_VERSION'), '18\n')
    expect(await prepareDataDir(join(parent, 'pglite'), empty)).toBe('template')
    expect(await readdir(parent)).toEqual(['pglite'])
  })

  test('from the migrated template, starts at the current schema with no migration left', async () => {
    // Made for other migrations: dropped once the current one is kept (the empty one stays).
    const stale = join(migrated.root as string, 'pglite-0.0.1-schema-000000000000')
    await mkdir(stale, { recursive: true })
    for (const [name, made] of [
      ['fifth', 'initdb'],
      ['sixth', 'template'],
    ] as const) {
      const dir = join(root, name, 'pglite')
      expect(await prepareDataDir(dir, migrated)).toBe(made)
      const database = await openDatabase({ kind: 'pglite', dir })
      try {
        expect(await migrate(database.db)).toBe(0)
        const result = await database.db.execute(sql`select count(*)::int as n from images`)
        expect((result as unknown as { rows: { n: number }[] }).rows[0]?.n).toBe(0)
      } finally {
        await database.close()
      }
    }
    expect(await templateDir(migrated)).not.toBe(await templateDir(empty))
    expect(existsSync(stale)).toBe(false)
    expect(existsSync(join(await templateDir(empty), 'PG_VERSION'))).toBe(true)
  })

  test('is made all the same when the template cannot be kept', async () => {
    // A file where the templates' directory should be (a read-only node_modules, say).
    const blocked = join(root, 'blocked')
    await writeFile(blocked, '')
    const parent = join(root, 'fourth')
    await mkdir(parent)
    expect(await prepareDataDir(join(parent, 'pglite'), { root: join(blocked, 'cache') })).toBe(
      'initdb',
    )
    expect(await readdir(parent)).toEqual(['pglite'])
  })
})

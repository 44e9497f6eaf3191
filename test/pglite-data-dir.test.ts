import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { openDatabase } from '../src/db/client'
import { prepareDataDir } from '../src/db/pglite-data-dir'

// One template per file, in a directory of its own: the first database is made by initdb.
const root = await mkdtemp(join(tmpdir(), 'imgapi-datadir-'))
const templateDir = join(root, 'cache', 'template')
const open = async (dir: string) => openDatabase({ kind: 'pglite', dir, templateDir })
const tableExists = async (dir: string, table: string) => {
  const database = await open(dir)
  try {
    const result = await database.db.execute(sql`select to_regclass(${table})::text as found`)
    const rows = (result as unknown as { rows: { found: string | null }[] }).rows
    return typeof rows[0]?.found === 'string'
  } finally {
    await database.close()
  }
}

describe('a new embedded database', () => {
  afterAll(() => rm(root, { recursive: true, force: true }))

  test('is made by initdb in a child process the first time, and kept as the template', async () => {
    const dir = join(root, 'first', 'pglite')
    expect(await prepareDataDir(dir, templateDir)).toBe('initdb')
    expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true)
    expect(existsSync(join(templateDir, 'PG_VERSION'))).toBe(true)

    const database = await open(dir)
    await database.db.execute(sql`create table written_here (n int)`)
    await database.db.execute(sql`insert into written_here values (1)`)
    await database.close()
  })

  test('is a copy of the template after that, untouched by what other databases wrote', async () => {
    // An empty directory, as DATA_DIR/pglite is when an older version made it and stopped.
    const dir = join(root, 'second', 'pglite')
    await mkdir(dir, { recursive: true })
    expect(await prepareDataDir(dir, templateDir)).toBe('template')
    expect(await tableExists(dir, 'written_here')).toBe(false)
    expect(await tableExists(join(root, 'first', 'pglite'), 'written_here')).toBe(true)
  })

  test('is not made over an existing one', async () => {
    const dir = join(root, 'first', 'pglite')
    expect(await prepareDataDir(dir, templateDir)).toBe('existing')
    expect(await tableExists(dir, 'written_here')).toBe(true)
  })

  test('replaces what an interrupted start left beside it', async () => {
    const parent = join(root, 'third')
    const leftover = join(parent, 'pglite.new-interrupted')
    await mkdir(leftover, { recursive: true })
    await writeFile(join(leftover, 'PG_VERSION'), '18\n')
    expect(await prepareDataDir(join(parent, 'pglite'), templateDir)).toBe('template')
    expect(await readdir(parent)).toEqual(['pglite'])
  })

  test('is made all the same when the template cannot be kept', async () => {
    // A file where the template's parent directory should be (a read-only node_modules, say).
    const blocked = join(root, 'blocked')
    await writeFile(blocked, '')
    const parent = join(root, 'fourth')
    await mkdir(parent)
    const dir = join(parent, 'pglite')
    expect(await prepareDataDir(dir, join(blocked, 'template'))).toBe('initdb')
    expect(await readdir(parent)).toEqual(['pglite'])
  })
})

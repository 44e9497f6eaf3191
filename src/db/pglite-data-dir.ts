import { randomUUID } from 'node:crypto'
import { copyFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { schemaKey } from './migrate'

const INITDB_SCRIPT = new URL('./pglite-initdb.ts', import.meta.url).pathname
const ROOT = new URL('../..', import.meta.url).pathname

/** How an embedded database directory was made ready. */
export type DataDirSource = 'existing' | 'template' | 'initdb'

/** The template a new embedded database is copied from. */
export type TemplateChoice = {
  /**
   * `empty`: as initdb leaves it. `migrated`: with this project's migrations applied too, so a new
   * database starts at the current schema and its first start applies none.
   */
  kind?: 'empty' | 'migrated'
  /** Where templates are kept: node_modules/.cache/image-metadata-api when absent. */
  root?: string
}

async function pgliteVersion(): Promise<string> {
  const manifest = Bun.resolveSync('@electric-sql/pglite/package.json', ROOT)
  return (JSON.parse(await readFile(manifest, 'utf8')) as { version: string }).version
}

/**
 * A template's directory: one per installed PGlite version (it decides the catalog layout) and,
 * when migrated, per set of migrations. Made once by initdb, then copied for every new database.
 */
export async function templateDir({ kind = 'empty', root }: TemplateChoice = {}) {
  const base = root ?? join(ROOT, 'node_modules', '.cache', 'image-metadata-api')
  const schema = kind === 'migrated' ? `-schema-${schemaKey()}` : ''
  return join(base, `pglite-${await pgliteVersion()}${schema}`)
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  )

async function isMissingOrEmpty(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true
    throw err
  }
}

/** Copies a directory tree; the top directory is owner-only, whatever the source's mode. */
async function copyTree(from: string, to: string, mode?: number): Promise<void> {
  await mkdir(to, mode === undefined ? undefined : { mode })
  const entries = await readdir(from, { withFileTypes: true })
  await Promise.all(
    entries.map((entry) =>
      entry.isDirectory()
        ? copyTree(join(from, entry.name), join(to, entry.name))
        : copyFile(join(from, entry.name), join(to, entry.name)),
    ),
  )
}

/** initdb (and the migrations) in a child process, so that its memory leaves with it. */
async function initdbInChild(dir: string, kind: 'empty' | 'migrated'): Promise<void> {
  const child = Bun.spawn(
    [process.execPath, INITDB_SCRIPT, dir, ...(kind === 'migrated' ? ['--migrate'] : [])],
    {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdout: 'ignore',
      stderr: 'pipe',
    },
  )
  const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()])
  if (code !== 0) {
    throw new Error(`making the embedded database failed (exit ${code}): ${stderr.trim()}`)
  }
}

/**
 * Keeps a copy of a fresh database as the template, and drops templates of the same kind made for
 * other migrations or PGlite versions. A template that cannot be written is skipped.
 */
async function saveTemplate(fresh: string, template: string): Promise<void> {
  const building = `${template}.build-${randomUUID()}`
  try {
    await mkdir(dirname(template), { recursive: true })
    await copyTree(fresh, building, 0o700)
    // Two processes may race here: either template is complete, the loser's copy is dropped.
    await rename(building, template)
  } catch {
    await rm(building, { recursive: true, force: true }).catch(() => {})
    return
  }
  const kindOf = (name: string) => (name.includes('-schema-') ? 'migrated' : 'empty')
  const kept = basename(template)
  for (const name of await readdir(dirname(template)).catch(() => [])) {
    // Complete templates only: a `.build-` directory may be another process's, under way.
    const complete = name.startsWith('pglite-') && !name.includes('.build-')
    if (name === kept || !complete || kindOf(name) !== kindOf(kept)) continue
    await rm(join(dirname(template), name), { recursive: true, force: true }).catch(() => {})
  }
}

/**
 * Makes `dir` hold an embedded database before PGlite opens it. An existing database (or a
 * non-empty directory, which PGlite judges itself) is left alone; a missing or empty one gets a
 * copy of the template, or, when there is none yet, a database made by initdb in a child process,
 * which then becomes the template. The database is assembled beside `dir` and renamed into place,
 * so an interrupted start never leaves half a database behind.
 */
export async function prepareDataDir(
  dir: string,
  choice: TemplateChoice = {},
): Promise<DataDirSource> {
  if (!(await isMissingOrEmpty(dir))) return 'existing'
  const template = await templateDir(choice)
  const parent = dirname(dir)
  // Owner-only, as secureDataDir leaves DATA_DIR: this may run before it (startEmbeddedDatabase).
  await mkdir(parent, { recursive: true, mode: 0o700 })
  const prefix = `${basename(dir)}.new-`
  // Left over by a start that was killed while copying.
  for (const name of await readdir(parent)) {
    if (name.startsWith(prefix)) await rm(join(parent, name), { recursive: true, force: true })
  }
  const fresh = join(parent, `${prefix}${randomUUID()}`)
  let source: DataDirSource
  try {
    if (await exists(join(template, 'PG_VERSION'))) {
      await copyTree(template, fresh, 0o700)
      source = 'template'
    } else {
      await initdbInChild(fresh, choice.kind ?? 'empty')
      await saveTemplate(fresh, template)
      source = 'initdb'
    }
    // Replaces the empty directory, if there is one.
    await rename(fresh, dir)
  } catch (err) {
    await rm(fresh, { recursive: true, force: true }).catch(() => {})
    throw err
  }
  return source
}

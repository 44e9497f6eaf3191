import { sql } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import type { TemplateChoice } from './pglite-data-dir'
import { type EmbeddedHeadStart, readyDataDir } from './pglite-early'
import * as schema from './schema'

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>

export type Database = {
  db: Db
  kind: 'postgres' | 'pglite'
  ping(): Promise<void>
  close(): Promise<void>
}

export type DatabaseOptions =
  | { kind: 'postgres'; url: string; poolMax: number }
  | {
      kind: 'pglite'
      dir: string
      /** PostgreSQL's shared_buffers; DEFAULT_PGLITE_SHARED_BUFFERS when absent. */
      sharedBuffers?: string
      /** The template a new database is copied from (prepareDataDir); an empty one when absent. */
      template?: TemplateChoice
    }

/**
 * PGlite's buffer pool lives in the process's WebAssembly memory and is touched whole at start:
 * PostgreSQL's 128MB default was most of the embedded API's idle RSS. The operating system's page
 * cache still holds the data files, so a smaller pool costs a copy per page read, not a disk read.
 */
export const DEFAULT_PGLITE_SHARED_BUFFERS = '8MB'

/**
 * Opens the database. `headStart`, for the embedded one: its start-up work begun earlier by
 * startEmbeddedDatabase with the same options.
 */
export async function openDatabase(
  options: DatabaseOptions,
  headStart?: EmbeddedHeadStart,
): Promise<Database> {
  // Each driver is loaded only when used: module loading is most of the start-up time.
  if (options.kind === 'postgres') {
    const { default: postgres } = await import('postgres')
    const { drizzle: drizzlePostgres } = await import('drizzle-orm/postgres-js')
    const client = postgres(options.url, {
      max: options.poolMax,
      connect_timeout: 5,
      idle_timeout: 60,
      // A query waits out its connection's reconnect delay; postgres.js lets that grow to 20 s,
      // which would hold requests long after the database is back. Jittered, capped at 1 s.
      backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1) * (0.5 + Math.random() / 2),
      onnotice: () => {},
      // Statements are prepared per connection; a generic plan cannot see how common a searched
      // n-gram, tag or metadata value is and picks the wrong index for skewed data.
      connection: { plan_cache_mode: 'force_custom_plan' },
    })
    const db = drizzlePostgres(client, { schema }) as unknown as Db
    return {
      db,
      kind: 'postgres',
      ping: async () => {
        await client`select 1`
      },
      close: () => client.end({ timeout: 5 }),
    }
  }
  // PGlite is a single in-process PostgreSQL; `memory://` keeps it in memory (tests).
  await (headStart?.dataDir ?? readyDataDir(options))
  const { PGlite } = await import('@electric-sql/pglite')
  const { drizzle: drizzlePglite } = await import('drizzle-orm/pglite')
  const client = await PGlite.create(options.dir, {
    // Compiled ahead by the head start, or else by PGlite (once per process: it keeps a cache).
    pgliteWasmModule: await headStart?.wasm,
    startParams: [
      ...PGlite.defaultStartParams,
      '-c',
      `shared_buffers=${options.sharedBuffers ?? DEFAULT_PGLITE_SHARED_BUFFERS}`,
      // PGlite is one backend in single-user mode; each further slot only costs shared memory
      // (lock table, process and I/O arrays): 100 slots hold 4 MB more than 5.
      '-c',
      'max_connections=5',
    ],
  })
  const db = drizzlePglite(client, { schema }) as unknown as Db
  return {
    db,
    kind: 'pglite',
    ping: async () => {
      await db.execute(sql`select 1`)
    },
    close: () => client.close(),
  }
}

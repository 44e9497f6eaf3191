/**
 * `bun src/db/pglite-initdb.ts <dir> [--migrate]`: creates an embedded database in the empty <dir>
 * (and applies the migrations), then shuts it down cleanly. Run as a child process by
 * `prepareDataDir`: PGlite's initdb runs a second PostgreSQL WebAssembly instance and peaks near
 * 1 GB, and only an exiting process gives that back.
 */
import { PGlite } from '@electric-sql/pglite'
import { drizzle } from 'drizzle-orm/pglite'
import type { Db } from './client'
import { migrate } from './migrate'
import * as schema from './schema'

const [dir, flag] = process.argv.slice(2)
if (!dir || (flag !== undefined && flag !== '--migrate')) {
  console.error('usage: bun src/db/pglite-initdb.ts <empty directory> [--migrate]')
  process.exit(2)
}
// The smallest pool: this instance only makes the database; the database does not depend on it.
const pg = await PGlite.create(dir, {
  startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=1MB'],
})
try {
  if (flag === '--migrate') await migrate(drizzle(pg, { schema }) as unknown as Db)
} finally {
  await pg.close()
}

/**
 * `bun src/db/pglite-initdb.ts <dir>`: creates an embedded database in the empty <dir> and shuts it
 * down cleanly. Run as a child process by `prepareDataDir`: PGlite's initdb runs a second
 * PostgreSQL WebAssembly instance and peaks near 1 GB, and only an exiting process gives that back.
 */
import { PGlite } from '@electric-sql/pglite'

const dir = process.argv[2]
if (!dir) {
  console.error('usage: bun src/db/pglite-initdb.ts <empty directory>')
  process.exit(2)
}
// The smallest pool: this instance only starts and stops; the database does not depend on it.
const pg = await PGlite.create(dir, {
  startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=1MB'],
})
await pg.close()

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import type { DatabaseOptions } from '../../src/db/client'

export type TestDatabase = { options: DatabaseOptions; drop(): Promise<void> }

/** True when the suite runs against a real PostgreSQL (`TEST_DATABASE_URL`) instead of PGlite. */
export const usingPostgres = () => Boolean(process.env.TEST_DATABASE_URL)

/**
 * A fresh, empty database: PGlite in memory by default, or a uniquely named database on the
 * PostgreSQL at `TEST_DATABASE_URL`, dropped again by `drop()`.
 */
export async function createTestDatabase(
  options: { onDisk?: boolean } = {},
): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL
  if (!adminUrl && options.onDisk) {
    // On disk, so a second app can open the same PGlite after the first one closed it.
    const dir = await mkdtemp(join(tmpdir(), 'imgapi-pglite-'))
    return {
      options: { kind: 'pglite', dir },
      drop: () => rm(dir, { recursive: true, force: true }),
    }
  }
  if (!adminUrl) return { options: { kind: 'pglite', dir: 'memory://' }, drop: async () => {} }

  const name = `imgapi_test_${Date.now().toString(36)}_${crypto.randomUUID().slice(0, 8)}`
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database "${name}"`)
  await admin.end()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    options: { kind: 'postgres', url: url.toString(), poolMax: 16 },
    drop: async () => {
      const sql = postgres(adminUrl, { max: 1, onnotice: () => {} })
      await sql.unsafe(`drop database if exists "${name}" with (force)`)
      await sql.end()
    },
  }
}

import { describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { loadConfig } from '../src/config'
import { openDatabase } from '../src/db/client'

async function sharedBuffers(env: Record<string, string>) {
  const { database: options } = loadConfig(env)
  if (options.kind !== 'pglite') throw new Error('expected the embedded database')
  const database = await openDatabase({ ...options, dir: 'memory://' })
  try {
    const result = await database.db.execute(sql`show shared_buffers`)
    return (result as unknown as { rows: Record<string, string | null>[] }).rows[0]?.shared_buffers
  } finally {
    await database.close()
  }
}

describe('the embedded database', () => {
  test('keeps a small buffer pool (it is resident from the start), PGLITE_SHARED_BUFFERS when set', async () => {
    expect(await sharedBuffers({})).toBe('8MB')
    expect(await sharedBuffers({ PGLITE_SHARED_BUFFERS: '48MB' })).toBe('48MB')
  })
})

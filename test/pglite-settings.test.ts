import { describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { loadConfig } from '../src/config'
import { openDatabase } from '../src/db/client'

async function settings(env: Record<string, string>) {
  const { database: options } = loadConfig(env)
  if (options.kind !== 'pglite') throw new Error('expected the embedded database')
  const database = await openDatabase({ ...options, dir: 'memory://' })
  try {
    const result = await database.db.execute(
      sql`select current_setting('shared_buffers') as shared_buffers, current_setting('max_connections') as max_connections`,
    )
    return (result as unknown as { rows: Record<string, string>[] }).rows[0]
  } finally {
    await database.close()
  }
}

describe('the embedded database', () => {
  test('keeps its shared memory small (it is resident from the start), PGLITE_SHARED_BUFFERS when set', async () => {
    expect(await settings({})).toEqual({ shared_buffers: '8MB', max_connections: '5' })
    expect(await settings({ PGLITE_SHARED_BUFFERS: '48MB' })).toMatchObject({
      shared_buffers: '48MB',
    })
  })
})

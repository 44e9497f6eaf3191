import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { type Database, openDatabase } from '../src/db/client'
import { migrate } from '../src/db/migrate'
import { createTestDatabase, type TestDatabase } from './support/database'

describe('migrations', () => {
  let target: TestDatabase
  const open: Database[] = []
  beforeAll(async () => {
    target = await createTestDatabase()
  })
  afterAll(async () => {
    for (const d of open) await d.close()
    await target.drop()
  })

  test('apply once, are idempotent, and are safe when two processes start at once', async () => {
    const a = await openDatabase(target.options)
    open.push(a)
    // PGlite is one process by nature; against PostgreSQL use two independent pools.
    const b = target.options.kind === 'postgres' ? await openDatabase(target.options) : a
    if (b !== a) open.push(b)
    const applied = await Promise.all([migrate(a.db), migrate(b.db)])
    expect(applied.reduce((x, y) => x + y, 0)).toBeGreaterThan(0)
    expect(Math.min(...applied)).toBe(0)
    expect(await migrate(a.db)).toBe(0)
    const result = await a.db.execute(sql`select count(*)::int as n from images`)
    expect(result).toBeDefined()
  })
})

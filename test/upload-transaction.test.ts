import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { type Database, openDatabase } from '../src/db/client'
import { migrate } from '../src/db/migrate'
import { ImageRepository } from '../src/images/repository'
import { createTestDatabase, type TestDatabase, usingPostgres } from './support/database'
import { md5Of, minimalRow } from './support/image-rows'
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy'

type Rows = { n: number }[]
const rowsOf = (result: unknown): Rows =>
  Array.isArray(result) ? result : ((result as { rows: Rows }).rows ?? [])

/** Advisory locks this session holds: none once its transaction is over. */
async function advisoryLocksHeld(database: Database) {
  const result = await database.db.execute(
    sql`select count(*)::int as n from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()`,
  )
  return rowsOf(result)[0]?.n
}

// One connection on PostgreSQL: a transaction that kept it (never released, or released inside a
// transaction) would hang or poison every statement after it.
describe('the upload transaction ends on every path (PGlite or PostgreSQL, one connection)', () => {
  let target: TestDatabase
  let database: Database
  let repo: ImageRepository

  beforeAll(async () => {
    target = await createTestDatabase()
    const options =
      target.options.kind === 'postgres' ? { ...target.options, poolMax: 1 } : target.options
    database = await openDatabase(options)
    await migrate(database.db)
    repo = new ImageRepository(database.db)
  })
  afterAll(async () => {
    await database.close()
    await target.drop()
  })

  test('the work inside throws (a storage put failing): rolled back, the lock released', async () => {
    for (let i = 0; i < 3; i++) {
      const r = minimalRow(`throws ${i}`)
      await expect(
        repo.withUploadLock(r.md5Hash, undefined, async () => {
          throw new Error('storage down')
        }),
      ).rejects.toThrow('storage down')
      expect(await repo.findByMd5(r.md5Hash)).toBeUndefined()
      expect(await advisoryLocksHeld(database)).toBe(0)
    }
  })

  test('the insert fails (a CHECK constraint): its error, nothing stored, the connection idle', async () => {
    for (let i = 0; i < 3; i++) {
      const r = { ...minimalRow(`bad ${i}`), orientation: 9 }
      await expect(
        repo.withUploadLock(r.md5Hash, undefined, (lock) => repo.insertIfAbsent(r, lock)),
      ).rejects.toMatchObject({ code: '23514' })
      expect(await repo.findByMd5(r.md5Hash)).toBeUndefined()
      expect(await advisoryLocksHeld(database)).toBe(0)
    }
  })

  test('the work inside throws after the insert was written: the row stays committed', async () => {
    const r = minimalRow('after insert')
    await expect(
      repo.withUploadLock(r.md5Hash, undefined, async (lock) => {
        await repo.insertIfAbsent(r, lock)
        throw new Error('late')
      }),
    ).rejects.toThrow('late')
    expect((await repo.findByMd5(r.md5Hash))?.id).toBe(r.id)
    expect(await advisoryLocksHeld(database)).toBe(0)
  })

  test('no insert at all: committed empty, the lock released; a second insert is refused', async () => {
    const r = minimalRow('no insert')
    expect(await repo.withUploadLock(r.md5Hash, undefined, async () => 'done')).toBe('done')
    expect(await advisoryLocksHeld(database)).toBe(0)
    await expect(
      repo.withUploadLock(r.md5Hash, undefined, async (lock) => {
        await repo.insertIfAbsent(r, lock)
        return repo.insertIfAbsent(minimalRow('twice'), lock)
      }),
    ).rejects.toThrow('the transaction is over')
    expect((await repo.findByMd5(r.md5Hash))?.id).toBe(r.id)
    expect(await repo.findByMd5(md5Of('twice'))).toBeUndefined()
  })
})

// PGlite is in-process and cannot be cut off.
describe.skipIf(!usingPostgres())('a cut inside the upload transaction (PostgreSQL)', () => {
  let target: TestDatabase
  let proxy: TcpProxy
  let database: Database
  let repo: ImageRepository

  beforeAll(async () => {
    target = await createTestDatabase()
    const direct = new URL(target.options.kind === 'postgres' ? target.options.url : '')
    proxy = startTcpProxy({ hostname: direct.hostname, port: Number(direct.port || 5432) })
    const viaProxy = new URL(direct)
    viaProxy.hostname = '127.0.0.1'
    viaProxy.port = String(proxy.port)
    database = await openDatabase({ kind: 'postgres', url: viaProxy.toString(), poolMax: 1 })
    await migrate(database.db)
    repo = new ImageRepository(database.db)
  })
  afterAll(async () => {
    await database.close()
    proxy.stop()
    await target.drop()
  })

  test('the insert is never sent on the reconnected connection (it would commit without the lock)', async () => {
    const r = minimalRow('cut')
    await expect(
      repo.withUploadLock(r.md5Hash, undefined, async (lock) => {
        proxy.cut()
        proxy.restore()
        // Queued behind the reserved connection, this runs once the pool has seen the cut: on the
        // same connection, reconnected (one connection in the pool).
        await database.db.execute(sql`select 1`)
        return repo.insertIfAbsent(r, lock)
      }),
    ).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' })
    expect(await repo.findByMd5(r.md5Hash)).toBeUndefined()
    expect(await advisoryLocksHeld(database)).toBe(0)

    // The pool serves the next upload as usual.
    const next = minimalRow('after the cut')
    const inserted = await repo.withUploadLock(next.md5Hash, undefined, (lock) =>
      repo.insertIfAbsent(next, lock),
    )
    expect(inserted?.id).toBe(next.id)
  })
})

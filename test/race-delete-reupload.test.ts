import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { ImageRepository } from '../src/images/repository'
import { ImageService, type UploadInput } from '../src/images/service'
import { startTestApp, type TestApp } from './support/app'
import { usingPostgres } from './support/database'
import { makeJpeg, md5Hex, withJpegComment } from './support/images'

const meta = { filename: 'x.jpg', title: 't', description: 'd', tags: [], metadata: {} }

/** Advisory locks that a session of this test's database is waiting for. */
async function waitingAdvisoryLocks(t: TestApp): Promise<number> {
  const result = await t.deps.database.db.execute(
    sql`select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted
        and database = (select oid from pg_database where datname = current_database())`,
  )
  const rows = (result as unknown as { rows?: { n: number }[] }).rows ?? (result as never)
  return Number((rows as { n: number }[])[0]?.n ?? 0)
}

/**
 * Forces the one interleaving the content lock exists for, every time: upload B has stored the
 * object and not yet inserted its row when upload A of the same bytes commits and a delete of
 * A's row runs. B resumes only once the delete has finished or is waiting for the lock.
 */
async function deleteWhileReuploadIsBetweenPutAndInsert(t: TestApp, bytes: Uint8Array) {
  const repo = new ImageRepository(t.deps.database.db)
  const plain = new ImageService(repo, t.deps.storage, t.config.limits)
  const input: UploadInput = { bytes, ...meta }
  let deletion: Promise<unknown> | undefined
  let deletionSettled = false

  const paused = new ImageService(repo, t.deps.storage, t.config.limits, {
    hooks: {
      afterObjectPut: async () => {
        const first = await plain.upload(input)
        if (!first.created) throw new Error('setup: upload A should have created the row')
        deletion = plain.delete(first.image.id).finally(() => {
          deletionSettled = true
        })
        const deadline = Date.now() + 10_000
        while (!deletionSettled && (await waitingAdvisoryLocks(t)) === 0) {
          if (Date.now() > deadline) throw new Error('the delete neither finished nor waited')
          await Bun.sleep(5)
        }
      },
    },
  })

  const second = await paused.upload(input)
  await deletion
  return second
}

// PGlite runs one statement at a time, so a delete cannot run while an upload's transaction is
// open: the interleaving exists only on PostgreSQL.
describe.skipIf(!usingPostgres()).each(['local', 's3'] as const)(
  'delete during a re-upload, forced interleaving (%s storage)',
  (storage) => {
    let t: TestApp
    beforeAll(async () => {
      t = await startTestApp({ storage })
    })
    afterAll(() => t.stop())

    test('the re-upload keeps its row and its object: the delete leaves the object alone', async () => {
      const bytes = withJpegComment(makeJpeg(16, 16, { seed: 11 }), `forced-${storage}`)
      const outcome = await deleteWhileReuploadIsBetweenPutAndInsert(t, bytes)

      expect(outcome.created).toBe(true)
      const row = await new ImageRepository(t.deps.database.db).findByMd5(md5Hex(bytes))
      expect(row?.id).toBe(outcome.image.id)
      // Without the content lock the delete removes the object B has just stored.
      expect(await t.deps.storage.stat(outcome.image.s3Key)).not.toBeNull()
      const stream = await t.deps.storage.read(outcome.image.s3Key)
      expect(new Uint8Array(await new Response(stream).arrayBuffer())).toEqual(
        new Uint8Array(bytes),
      )
    })
  },
)

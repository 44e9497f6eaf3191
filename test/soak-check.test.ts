import { afterAll, expect, test } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkInvariants } from '../bench/soak-check'
import { openDatabase } from '../src/db/client'
import { migrate } from '../src/db/migrate'
import { images } from '../src/db/schema'
import { LocalStorage } from '../src/storage/local'
import { makeJpeg, md5Hex, withJpegComment } from './support/images'

const dir = await mkdtemp(join(tmpdir(), 'imgapi-soak-check-'))
afterAll(() => rm(dir, { recursive: true, force: true }))

const row = (md5: string, key = `images/${md5}.jpg`) => ({
  id: crypto.randomUUID(),
  md5Hash: md5,
  s3Key: key,
  originalFilename: 'a.jpg',
  mimetype: 'image/jpeg',
  filesize: 1,
  width: 8,
  height: 8,
  title: 't',
  description: 'd',
})

// The checker must not be vacuous: each kind of violation is seeded once and counted once.
test('checkInvariants counts missing objects, orphans and wrong hashes', async () => {
  const config = {
    database: { kind: 'pglite', dir: join(dir, 'pglite') } as const,
    storage: { kind: 'local', dir: join(dir, 'objects') } as const,
  }
  const base = makeJpeg(8, 8)
  const [good, missing, orphan, corrupt] = [1, 2, 3, 4].map((i) => withJpegComment(base, `${i}`))
  const md5 = (b: Uint8Array | undefined) => md5Hex(b ?? new Uint8Array())
  const database = await openDatabase(config.database)
  await migrate(database.db)
  await database.db.insert(images).values([row(md5(good)), row(md5(missing)), row(md5(corrupt))])
  await database.close()
  const storage = await new LocalStorage(config.storage.dir).init()
  for (const b of [good, orphan]) await storage.put(`images/${md5(b)}.jpg`, b ?? base)
  // Corrupt: the object under the row's key holds other bytes.
  await storage.put(`images/${md5(corrupt)}.jpg`, good ?? base)

  const report = await checkInvariants(config)
  expect(report).toMatchObject({
    rows: 3,
    objects: 3,
    rows_without_object: 1,
    objects_without_row: 1,
    md5_mismatches: 1,
    ok: false,
  })
})

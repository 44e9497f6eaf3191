import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq, getTableColumns } from 'drizzle-orm'
import { type Database, openDatabase } from '../src/db/client'
import {
  INSERT_IMAGE,
  INSERTED_KEYS,
  SELECT_IMAGE_BY_MD5,
  SELECT_NEAR_BY_BANDS,
  SELECT_NEAR_BY_SCAN,
} from '../src/db/image-statements'
import { migrate } from '../src/db/migrate'
import { imageColumns, images, type NewImageRow } from '../src/db/schema'
import { searchColumns } from '../src/db/search-text'
import { ImageRepository } from '../src/images/repository'
import { SCAN_ABOVE_DISTANCE, SimilarityRepository } from '../src/similarity/repository'
import { createTestDatabase, type TestDatabase } from './support/database'
import { md5Of, minimalRow } from './support/image-rows'

const names = (list: string) => list.split(',').map((name) => name.trim())
/** The column list between `start` and `end` in a statement's text. */
function columnList(text: string, start: RegExp, end: RegExp) {
  const from = text.search(start)
  const rest = text.slice(from).replace(start, '')
  return names(rest.slice(0, rest.search(end)))
}

const tableColumns = getTableColumns(images)
const returnedNames = Object.values(imageColumns).map((column) => column.name)
// What Drizzle's insert writes: every column the database does not generate.
const writableNames = Object.values(tableColumns)
  .filter((column) => !column.generated)
  .map((column) => column.name)

describe('the hand-written statements name the schema’s columns (src/db/image-statements.ts)', () => {
  test('the lookup and the insert return imageColumns, in order', () => {
    expect(columnList(SELECT_IMAGE_BY_MD5, /^select /, / from /)).toEqual(returnedNames)
    expect(columnList(INSERT_IMAGE, /returning /, /$/)).toEqual(returnedNames)
  })

  test('the near-duplicate lookups return imageColumns and the distance', () => {
    for (const text of [SELECT_NEAR_BY_BANDS, SELECT_NEAR_BY_SCAN]) {
      expect(columnList(text, /^select /, /\nfrom /)).toEqual([
        ...returnedNames,
        expect.stringMatching(/ as distance$/),
      ])
    }
  })

  test('the insert writes every column that is not generated, $1..$n in order, filled by INSERTED_KEYS', () => {
    const columns = columnList(INSERT_IMAGE, /^insert into images \(/, /\)\s*values/)
    expect(columns).toEqual(writableNames)
    expect(INSERTED_KEYS.map((key) => tableColumns[key].name)).toEqual(columns)
    const values = INSERT_IMAGE.slice(
      INSERT_IMAGE.search(/values \(/),
      INSERT_IMAGE.search(/\)\s*on conflict/),
    )
    const placeholders = [...values.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]))
    expect(placeholders).toEqual(columns.map((_, i) => i + 1))
  })

  test('every NOT NULL column without a default is written (a new one must be added here)', () => {
    const required = Object.values(tableColumns)
      .filter((column) => column.notNull && !column.hasDefault && !column.generated)
      .map((column) => column.name)
    expect(required.length).toBeGreaterThan(0)
    const columns = columnList(INSERT_IMAGE, /^insert into images \(/, /\)\s*values/)
    for (const name of required) expect(columns).toContain(name)
  })
})

/** Every column but the identity of the row and the times the database set. */
function content(row: Record<string, unknown>) {
  const { id: _id, md5Hash: _md5, s3Key: _key, uploadedAt, updatedAt, ...rest } = row
  return { ...rest, uploadedAt: uploadedAt instanceof Date, updatedAt: updatedAt instanceof Date }
}

/** A value in every column, of every kind the table has. */
function fullRow(name: string): NewImageRow {
  return {
    ...minimalRow(name),
    originalFilename: 'ünïcode "quoted" {braces}.jpg',
    mimetype: 'image/jpeg',
    declaredMimetype: 'image/pjpeg',
    filesize: 5_000_000_000,
    width: 4000,
    height: 3000,
    title: 'ＡＢＣ Title ΟΔΟΣ',
    description: 'Straße, 青い海',
    tags: ['sea', 'two words', 'quote"d', '{brace}', 'NULL', ''],
    metadata: { nested: { n: 1.5, list: [1, 'two', null, true] }, empty: {}, s: 'x' },
    geminiAnalysis: 'An analysis',
    analysisStatus: 'failed',
    analysisModel: 'model-x',
    analysisPromptHash: 'abc123',
    analysisAttempts: 3,
    analysisError: 'quota',
    analysisNextAttemptAt: new Date('2030-01-02T03:04:05.678Z'),
    analyzedAt: new Date('2029-12-31T23:59:59.999Z'),
    uploadedAt: new Date('2020-02-29T12:00:00.001Z'),
    updatedAt: new Date('2021-03-01T00:00:00.000Z'),
    uploadedBy: 'tester',
    perceptualHash: -1234567890123456789n,
    perceptualHashLowInformation: true,
    clientMd5: md5Of(`${name} as sent`),
    thumbhash: 'YJqGPQw7sFlslqhFafSE+Q6oJ1h2iHB2Rw',
    takenAt: new Date('2019-07-04T10:11:12.000Z'),
    cameraMake: 'Canon',
    cameraModel: 'EOS',
    lens: '50mm',
    orientation: 6,
    gpsLatitude: 35.681236,
    gpsLongitude: 139.767125,
    gpsAltitude: -12.5,
    exif: { Make: 'Canon', ExposureTime: 0.004, ISO: [100] },
  }
}

describe('the hand-written statements give what Drizzle gives (PGlite or PostgreSQL)', () => {
  let target: TestDatabase
  let database: Database
  let repo: ImageRepository
  let similarity: SimilarityRepository

  beforeAll(async () => {
    target = await createTestDatabase()
    database = await openDatabase(target.options)
    await migrate(database.db)
    repo = new ImageRepository(database.db)
    similarity = new SimilarityRepository(database.db)
  })
  afterAll(async () => {
    await database.close()
    await target.drop()
  })

  const drizzleSelect = async (id: string) =>
    (await database.db.select(imageColumns).from(images).where(eq(images.id, id)))[0]
  // Every column, search text, n-grams and hash bands included.
  const storedRow = async (id: string) =>
    (await database.db.select().from(images).where(eq(images.id, id)))[0] as Record<string, unknown>
  // The insert as Drizzle's query builder wrote it before the hand-written one.
  const drizzleInsert = async (row: NewImageRow) =>
    (
      await database.db
        .insert(images)
        .values({ ...row, ...searchColumns(row) })
        .onConflictDoNothing()
        .returning(imageColumns)
    )[0]

  for (const [kind, makeRow] of [
    ['every column set', fullRow],
    ['required columns only', minimalRow],
  ] as const) {
    test(`insert (${kind}): the row returned and stored is Drizzle's, and the lookup returns it too`, async () => {
      const row = makeRow(`hot ${kind}`)
      const inserted = await repo.insertIfAbsent(row)
      expect(inserted).toBeDefined()
      expect(inserted).toEqual(await drizzleSelect(row.id))
      expect(await repo.findByMd5(row.md5Hash)).toEqual(inserted)
      expect(
        (
          await database.db.select(imageColumns).from(images).where(eq(images.md5Hash, row.md5Hash))
        )[0],
      ).toEqual(inserted)

      // The same content inserted by Drizzle: the same values and defaults in every column.
      const twin = {
        ...makeRow(`drizzle ${kind}`),
        title: row.title,
        originalFilename: row.originalFilename,
      }
      if (row.clientMd5) twin.clientMd5 = row.clientMd5
      const viaDrizzle = await drizzleInsert(twin)
      expect(viaDrizzle).toBeDefined()
      expect(content(inserted as Record<string, unknown>)).toEqual(
        content(viaDrizzle as Record<string, unknown>),
      )
      expect(content(await storedRow(row.id))).toEqual(content(await storedRow(twin.id)))
      if (row.uploadedAt) expect(inserted?.uploadedAt).toEqual(row.uploadedAt)
    })
  }

  test('the same content again: nothing inserted (undefined), the stored row unchanged', async () => {
    const row = minimalRow('conflict')
    const first = await repo.insertIfAbsent(row)
    expect(
      await repo.insertIfAbsent({ ...row, id: Bun.randomUUIDv7(), title: 'other' }),
    ).toBeUndefined()
    expect(await repo.findByMd5(row.md5Hash)).toEqual(first)
  })

  test('under the upload lock: the near-duplicates are findWithin’s, the insert Drizzle’s row', async () => {
    const hash = 0x0123_4567_89ab_cdefn
    const flips = [0n, 1n, 0b101n, 0b111n, 1n << 40n, 0x1ffn, 0x7fffn, 0xfffff0000n]
    for (const [i, flip] of flips.entries()) {
      await repo.insertIfAbsent({
        ...minimalRow(`near ${i}`),
        perceptualHash: BigInt.asIntN(64, hash ^ flip),
      })
    }
    // Low-information and hash-less rows never take part.
    await repo.insertIfAbsent({
      ...minimalRow('flat'),
      perceptualHash: hash,
      perceptualHashLowInformation: true,
    })

    for (const maxDistance of [7, SCAN_ABOVE_DISTANCE + 9]) {
      for (const limit of [10, 3]) {
        const query = { hash, maxDistance, limit }
        const expected = await similarity.findWithin(query)
        expect(expected.length).toBeGreaterThan(0)
        const row = minimalRow(`under lock ${maxDistance} ${limit}`)
        const { near, inserted } = await repo.withUploadLock(row.md5Hash, query, async (lock) => ({
          near: lock.nearDuplicates,
          inserted: await repo.insertIfAbsent(row, lock),
        }))
        expect(near).toEqual(expected)
        expect(inserted).toEqual(await drizzleSelect(row.id))
      }
    }
  })

  test('under the upload lock without a near-duplicate lookup: none read', async () => {
    const row = minimalRow('no lookup')
    const { near, inserted } = await repo.withUploadLock(row.md5Hash, undefined, async (lock) => ({
      near: lock.nearDuplicates,
      inserted: await repo.insertIfAbsent(row, lock),
    }))
    expect(near).toBeUndefined()
    expect(inserted).toEqual(await drizzleSelect(row.id))
  })
})

import type { Config } from '../src/config'
import { openDatabase } from '../src/db/client'
import { images } from '../src/db/schema'
import { md5OfObjectKey, OBJECT_PREFIX } from '../src/images/object-key'
import { hashStream } from '../src/reconcile/hash'
import { ObjectNotFound } from '../src/storage/errors'
import { openStorage } from '../src/storage/open'
import type { Storage } from '../src/storage/storage'

export type InvariantReport = {
  rows: number
  objects: number
  rows_without_object: number
  objects_without_row: number
  md5_mismatches: number
  key_mismatches: number
  ok: boolean
  examples: string[]
}

const EXAMPLES_MAX = 5

async function objectMd5(storage: Storage, key: string): Promise<string | null> {
  try {
    return await hashStream(await storage.read(key))
  } catch (err) {
    if (err instanceof ObjectNotFound) return null
    throw err
  }
}

/** SPEC §3 against the stopped API's database and storage: rows and objects match one to one. */
export async function checkInvariants(
  config: Pick<Config, 'database' | 'storage'>,
): Promise<InvariantReport> {
  const database = await openDatabase(config.database)
  const storage = await openStorage(config.storage)
  try {
    const rows = await database.db
      .select({ id: images.id, md5: images.md5Hash, key: images.s3Key })
      .from(images)
    const objects = new Set<string>()
    for await (const info of storage.list(OBJECT_PREFIX)) objects.add(info.key)
    const examples: string[] = []
    const note = (text: string) => examples.length < EXAMPLES_MAX && examples.push(text)
    const report = { rowsWithoutObject: 0, md5: 0, key: 0 }
    const keys = new Set<string>()
    for (const row of rows) {
      keys.add(row.key)
      // Content-addressed: the key is images/<md5>.<ext>, never anything else.
      if (md5OfObjectKey(row.key) !== row.md5) {
        report.key++
        note(`row ${row.id}: s3_key ${row.key} does not carry md5 ${row.md5}`)
      }
      if (!objects.has(row.key)) {
        report.rowsWithoutObject++
        note(`row ${row.id}: object ${row.key} is missing`)
        continue
      }
      const actual = await objectMd5(storage, row.key)
      if (actual !== row.md5) {
        report.md5++
        note(`row ${row.id}: object ${row.key} hashes to ${actual}, not ${row.md5}`)
      }
    }
    const orphans = [...objects].filter((key) => !keys.has(key))
    for (const key of orphans) note(`object ${key} has no row`)
    return {
      rows: rows.length,
      objects: objects.size,
      rows_without_object: report.rowsWithoutObject,
      objects_without_row: orphans.length,
      md5_mismatches: report.md5,
      key_mismatches: report.key,
      ok:
        rows.length === objects.size &&
        report.rowsWithoutObject + orphans.length + report.md5 + report.key === 0,
      examples,
    }
  } finally {
    await database.close()
  }
}

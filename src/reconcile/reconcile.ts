import { eq } from 'drizzle-orm'
import type { Db } from '../db/client'
import { images } from '../db/schema'
import {
  md5OfObjectKey,
  OBJECT_PREFIX,
  parseVariantKey,
  VARIANT_OBJECT_PREFIX,
} from '../images/object-key'
import { ImageRepository } from '../images/repository'
import { ObjectNotFound } from '../storage/errors'
import type { ObjectInfo, Storage } from '../storage/storage'
import { hashStream } from './hash'
import { type RowRef, rowsByKey } from './rows'

export type ReconcileOptions = {
  db: Db
  storage: Storage
  /** Seconds an object without a row is left alone: an upload may be between its put and insert. */
  grace: number
  /** Delete stale orphans (otherwise a dry run). */
  apply: boolean
  /** Re-hash every object and compare with its row. */
  verify: boolean
  prefix?: string
  now?: () => Date
  onProgress?: (progress: { objects: number; rows: number }) => void
  progressEvery?: number
  /** Items kept per list in the report; the counts stay exact beyond it. */
  maxListed?: number
}

/** recent: within the grace period; stale: would be deleted by --apply; referenced: a row appeared. */
export type OrphanAction = 'recent' | 'stale' | 'deleted' | 'referenced' | 'foreign' | 'failed'

export type Orphan = {
  key: string
  size: number
  last_modified: string
  age_seconds: number
  action: OrphanAction
  error?: string
}
export type Missing = { id: string; key: string; md5: string }
export type Mismatch = {
  id: string
  key: string
  kind: 'size' | 'md5' | 'unreadable'
  expected: string | number
  actual: string | number | null
}

export type ReconcileReport = {
  ok: boolean
  storage: string
  prefix: string
  grace_seconds: number
  apply: boolean
  verify: boolean
  objects: number
  /** Objects under `variants/` (walked with the default prefix); orphans among them are listed with the others. */
  variant_objects: number
  rows: number
  orphans: { count: number; removed: number; recent: number; remaining: number; items: Orphan[] }
  missing: { count: number; items: Missing[] }
  mismatches: { count: number; items: Mismatch[] }
}

/** Throws if a stream is not in strictly ascending order: the merge-join would be wrong. */
async function* ascending<T>(source: AsyncIterable<T>, key: (t: T) => string, what: string) {
  let previous: string | undefined
  for await (const item of source) {
    const k = key(item)
    if (previous !== undefined && k <= previous) {
      throw new Error(`${what} is not in ascending key order ("${previous}" then "${k}")`)
    }
    previous = k
    yield item
  }
}

/**
 * Compares the objects under `prefix` with the `images` rows by merge-joining two key-ordered
 * streams, so neither side is ever held in memory. Never deletes a row; with `apply`, deletes
 * orphans older than `grace`, each only after re-checking under the exclusive content lock that
 * no upload has committed a row for it meanwhile.
 */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  const { db, storage, grace, apply, verify } = options
  const prefix = options.prefix ?? OBJECT_PREFIX
  const now = options.now ?? (() => new Date())
  const every = options.progressEvery ?? 1000
  const maxListed = options.maxListed ?? 10_000
  const repo = new ImageRepository(db)
  const report: ReconcileReport = {
    ok: true,
    storage: storage.kind,
    prefix,
    grace_seconds: grace,
    apply,
    verify,
    objects: 0,
    variant_objects: 0,
    rows: 0,
    orphans: { count: 0, removed: 0, recent: 0, remaining: 0, items: [] },
    missing: { count: 0, items: [] },
    mismatches: { count: 0, items: [] },
  }
  const listed = <T>(list: { count: number; items: T[] }, item: T) => {
    list.count++
    if (list.items.length < maxListed) list.items.push(item)
  }

  // A variant is an orphan when no row holds its content; its image was deleted meanwhile.
  const removeVariantOrphan = async (o: ObjectInfo): Promise<OrphanAction> => {
    const md5 = parseVariantKey(o.key)?.md5
    if (!md5) return 'foreign'
    if (!apply) return 'stale'
    return repo.withContentLock(md5, 'exclusive', async (tx) => {
      if (await repo.findByMd5(md5, tx)) return 'referenced'
      await storage.delete(o.key)
      return 'deleted'
    })
  }

  const removeOrphan = async (o: ObjectInfo): Promise<OrphanAction> => {
    const md5 = md5OfObjectKey(o.key)
    // Not a key the service writes: no upload can be racing for it, but nor is it ours to delete.
    if (!md5) return 'foreign'
    if (!apply) return 'stale'
    return repo.withContentLock(md5, 'exclusive', async (tx) => {
      const [row] = await tx
        .select({ id: images.id })
        .from(images)
        .where(eq(images.s3Key, o.key))
        .limit(1)
      if (row) return 'referenced'
      await storage.delete(o.key)
      return 'deleted'
    })
  }

  const onOrphan = async (o: ObjectInfo, remove = removeOrphan) => {
    const age = Math.max(0, Math.floor((now().getTime() - o.lastModified.getTime()) / 1000))
    let action: OrphanAction = 'recent'
    let error: string | undefined
    if (age >= grace) {
      try {
        action = await remove(o)
      } catch (err) {
        action = 'failed'
        error = err instanceof Error ? err.message : String(err)
      }
    }
    if (action === 'referenced') return
    if (action === 'deleted') report.orphans.removed++
    else if (action === 'recent') report.orphans.recent++
    else report.orphans.remaining++
    listed(report.orphans, {
      key: o.key,
      size: o.size,
      last_modified: o.lastModified.toISOString(),
      age_seconds: age,
      action,
      ...(error ? { error } : {}),
    })
  }

  const onPair = async (o: ObjectInfo, row: RowRef) => {
    if (o.size !== row.filesize) {
      listed(report.mismatches, {
        id: row.id,
        key: row.s3Key,
        kind: 'size',
        expected: row.filesize,
        actual: o.size,
      })
      return
    }
    if (!verify) return
    let md5: string
    try {
      md5 = await hashStream(await storage.read(row.s3Key))
    } catch (err) {
      if (!(err instanceof ObjectNotFound)) throw err
      listed(report.mismatches, {
        id: row.id,
        key: row.s3Key,
        kind: 'unreadable',
        expected: row.md5Hash,
        actual: null,
      })
      return
    }
    if (md5 !== row.md5Hash) {
      listed(report.mismatches, {
        id: row.id,
        key: row.s3Key,
        kind: 'md5',
        expected: row.md5Hash,
        actual: md5,
      })
    }
  }

  const objects = ascending(storage.list(prefix), (o) => o.key, 'storage listing')[
    Symbol.asyncIterator
  ]()
  const rows = ascending(rowsByKey(db), (r) => r.s3Key, 'table')[Symbol.asyncIterator]()
  const nextObject = async () => {
    const r = await objects.next()
    if (r.done) return undefined
    if (++report.objects % every === 0) {
      options.onProgress?.({ objects: report.objects, rows: report.rows })
    }
    return r.value
  }
  const nextRow = async () => {
    const r = await rows.next()
    if (r.done) return undefined
    report.rows++
    return r.value
  }

  let object = await nextObject()
  let row = await nextRow()
  while (object || row) {
    if (object && (!row || object.key < row.s3Key)) {
      await onOrphan(object)
      object = await nextObject()
    } else if (row && (!object || row.s3Key < object.key)) {
      listed(report.missing, { id: row.id, key: row.s3Key, md5: row.md5Hash })
      row = await nextRow()
    } else if (object && row) {
      await onPair(object, row)
      object = await nextObject()
      row = await nextRow()
    }
  }
  if (prefix === OBJECT_PREFIX) await reconcileVariants()
  options.onProgress?.({ objects: report.objects, rows: report.rows })

  /** Variants sort by content hash, so one lookup per image decides for all its variants. */
  async function reconcileVariants() {
    let lastMd5: string | undefined
    let lastHasRow = false
    for await (const o of storage.list(VARIANT_OBJECT_PREFIX)) {
      report.variant_objects++
      const md5 = parseVariantKey(o.key)?.md5
      if (md5 && md5 !== lastMd5) {
        lastMd5 = md5
        lastHasRow = (await repo.findByMd5(md5)) !== undefined
      }
      if (md5 && lastHasRow) continue
      await onOrphan(o, removeVariantOrphan)
    }
  }

  report.ok =
    report.missing.count === 0 && report.mismatches.count === 0 && report.orphans.remaining === 0
  return report
}

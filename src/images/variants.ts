import type { ImageRow } from '../db/schema'
import type { GarbagePacer } from '../http/garbage-pacer'
import { type ImageFormat, inspectImage, sniffImageFormat } from '../media/inspect'
import {
  renderVariant,
  VARIANT_CONTENT_TYPES,
  type VariantFormat,
  VariantRenderError,
} from '../media/variant-render'
import { ObjectNotFound } from '../storage/errors'
import type { Storage } from '../storage/storage'
import { parseVariantKey, variantKey, variantPrefix } from './object-key'
import type { ImageRepository } from './repository'

export type StoredVariant = { key: string; size: number; contentType: string; etag: string }

export type VariantOptions = {
  presets: Record<string, number>
  maxPixels: number
  /**
   * Renders at once in this process, each holding its decoded pixels. Twice as many variants may
   * be in the works, each holding its original, so that reading the next originals (and, in one
   * process, storing the last renditions) overlaps the renders.
   */
  concurrency: number
  /** Serialise generation across processes with an advisory lock (PostgreSQL; PGlite has one). */
  acrossProcesses: boolean
  /** Told of each original and rendition let go: JavaScriptCore frees dead buffers late. */
  garbage?: GarbagePacer
  /**
   * Where the store can fill a buffer (`Storage.readInto`), originals are read into buffers of
   * `size` bytes (MAX_UPLOAD_BYTES), of which up to `retained` bytes are kept between renders
   * (UPLOAD_BUFFER_BYTES). Absent: every read allocates.
   */
  readBuffers?: { size: number; retained: number }
}

/** Test-only seam: real renders (cache misses that did the work), as they start and settle. */
export type VariantHooks = {
  onRender?: (key: string) => void
  onRendered?: (key: string) => void
}

/** Stored variants remembered per process (about 200 bytes each). */
const KNOWN_VARIANTS = 10_000

/** The image went away (deleted) while its variant was being made. */
export class VariantSourceGone extends Error {}

/**
 * Variants are made on first request and kept in storage next to the originals. Concurrent
 * requests for one variant render it once: one promise per key in this process, and with
 * PostgreSQL an advisory lock per key across replicas, the second holder finding the object made.
 */
export class VariantService {
  readonly #inflight = new Map<string, Promise<StoredVariant>>()
  // Variants known to be stored: serving a cached one then costs no storage stat (an S3 HEAD).
  // A stale entry (deleted since) is caught when the read finds nothing; see `forget`.
  readonly #known = new Map<string, StoredVariant>()
  readonly #renderSlots: Semaphore
  readonly #workSlots: Semaphore
  readonly #buffers: Uint8Array[] = []

  constructor(
    private readonly repo: ImageRepository,
    readonly storage: Storage,
    private readonly options: VariantOptions,
    private readonly hooks: VariantHooks = {},
  ) {
    this.#renderSlots = new Semaphore(options.concurrency)
    // A store's latency is not the cores' time: a render slot freed finds its next original read.
    this.#workSlots = new Semaphore(2 * options.concurrency)
  }

  get presets() {
    return this.options.presets
  }

  /** The stored variant, made now if it is not there yet. */
  async ensure(image: ImageRow, preset: string, format: VariantFormat): Promise<StoredVariant> {
    const side = this.options.presets[preset]
    if (side === undefined) throw new Error(`unknown preset ${preset}`)
    const key = variantKey(image.md5Hash, preset, side, format)
    const known = this.#known.get(key)
    if (known) return known
    const stored = await this.#stat(key, format)
    if (stored) return this.#remember(stored)
    let pending = this.#inflight.get(key)
    if (!pending) {
      pending = this.#make(image, side, format, key)
        .then((made) => this.#remember(made))
        .finally(() => this.#inflight.delete(key))
      this.#inflight.set(key, pending)
    }
    return pending
  }

  /** Drops a variant from the known set (its object turned out to be gone). */
  forget(key: string) {
    this.#known.delete(key)
  }

  #remember(variant: StoredVariant) {
    this.#known.delete(variant.key)
    this.#known.set(variant.key, variant)
    // Oldest first out: a Map iterates in insertion order.
    if (this.#known.size > KNOWN_VARIANTS) {
      const oldest = this.#known.keys().next().value
      if (oldest !== undefined) this.#known.delete(oldest)
    }
    return variant
  }

  etag(md5: string, preset: string, format: VariantFormat) {
    return `"${md5}-${preset}-${this.options.presets[preset]}-${format}"`
  }

  async #stat(key: string, format: VariantFormat): Promise<StoredVariant | undefined> {
    const info = await this.storage.stat(key)
    return info ? this.#described(key, format, info.size) : undefined
  }

  #described(key: string, format: VariantFormat, size: number): StoredVariant {
    const parsed = parseVariantKey(key)
    return {
      key,
      size,
      contentType: VARIANT_CONTENT_TYPES[format],
      etag: this.etag(parsed?.md5 ?? '', parsed?.preset ?? '', format),
    }
  }

  async #make(image: ImageRow, side: number, format: VariantFormat, key: string) {
    const release = await this.#workSlots.acquire()
    try {
      // Read before a render slot is free: a store's latency need not idle a core.
      const original = await this.#original(image.s3Key)
      try {
        return await this.#renderAndStore(image.md5Hash, original, side, format, key)
      } finally {
        this.#letGo(original)
      }
    } finally {
      release()
    }
  }

  async #renderAndStore(
    md5: string,
    original: Original,
    side: number,
    format: VariantFormat,
    key: string,
  ) {
    if (this.options.acrossProcesses) {
      // The lock is taken with a render slot, so no more than `concurrency` connections wait on
      // renders; held while rendering: another replica waits, then finds the object stored.
      const rendering = await this.#renderSlots.acquire()
      try {
        return await this.repo.withVariantLock(md5, key, async (live) => {
          if (!live) throw new VariantSourceGone()
          const made = await this.#stat(key, format)
          if (made) return made
          return this.#put(key, format, await this.#render(original, side, format, key))
        })
      } finally {
        rendering()
      }
    }
    const rendering = await this.#renderSlots.acquire()
    let bytes: Uint8Array
    try {
      bytes = await this.#render(original, side, format, key)
    } finally {
      rendering()
    }
    const made = await this.#put(key, format, bytes)
    // Checked after the put, so no lock is needed: a delete removes the row before it sweeps
    // the variants, so a row seen here means the sweep comes later and finds this object.
    let live: boolean
    try {
      live = await this.repo.hasContent(md5)
    } catch (err) {
      // Unchecked, it is not kept (a variant is only a cache); reconcile removes what stays.
      await this.storage.delete(key).catch(() => {})
      throw err
    }
    if (live) return made
    await this.storage.delete(key)
    throw new VariantSourceGone()
  }

  /** Stores the rendered bytes; their size is what a stat would report, so none is made. */
  async #put(key: string, format: VariantFormat, bytes: Uint8Array) {
    await this.storage.put(key, bytes, VARIANT_CONTENT_TYPES[format])
    this.options.garbage?.released(bytes.byteLength)
    return this.#described(key, format, bytes.byteLength)
  }

  /** Renders under a render slot the caller holds. */
  async #render(original: Original, side: number, format: VariantFormat, key: string) {
    this.hooks.onRender?.(key)
    try {
      return await renderVariant(
        original.bytes,
        original.source,
        side,
        format,
        this.options.maxPixels,
      )
    } finally {
      this.hooks.onRendered?.(key)
      // libvips is done with its input once the render settles: the buffer can take the next.
      this.#letGo(original)
    }
  }

  /** Gives the original's buffer back (or tells the pacer it is garbage), once. */
  #letGo(original: Original) {
    if (original.gone) return
    original.gone = true
    if (original.buffer) this.#giveBack(original.buffer)
    else this.options.garbage?.released(original.bytes.byteLength)
  }

  /** Keeps a read buffer for the next render while the kept ones stay within `retained`. */
  #giveBack(buffer: Uint8Array) {
    const retained = this.options.readBuffers?.retained ?? 0
    if ((this.#buffers.length + 1) * buffer.byteLength <= retained) this.#buffers.push(buffer)
    else this.options.garbage?.released(buffer.byteLength)
  }

  /**
   * The original's bytes and format. A store that can fill a buffer (both drivers) reads into
   * one kept from an earlier render: a fresh allocation of the whole original per render
   * cost about 8 ms of CPU for 2 MB, in page faults and JavaScriptCore's collections.
   */
  async #original(s3Key: string): Promise<Original> {
    try {
      const buffers = this.options.readBuffers
      // Only when a buffer can be kept: else a fresh one of the full size per read is waste.
      if (this.storage.readInto && buffers && buffers.retained >= buffers.size) {
        // One per variant in the works, so never more than twice `concurrency` at once.
        const buffer = this.#buffers.pop() ?? new Uint8Array(buffers.size)
        let original: Original | undefined
        try {
          const length = await this.storage.readInto(s3Key, buffer)
          if (length !== null) {
            const bytes = buffer.subarray(0, length)
            original = { bytes, source: sourceFormat(bytes), buffer }
          }
        } finally {
          if (!original) this.#giveBack(buffer)
        }
        if (original) return original
      }
      // Larger than the buffers (a row adopted from a deployment with a higher limit), none can
      // be kept, or a store without readInto.
      const bytes = await new Response(await this.storage.read(s3Key)).bytes()
      return { bytes, source: sourceFormat(bytes) }
    } catch (err) {
      if (err instanceof ObjectNotFound) throw new VariantSourceGone()
      throw err
    }
  }
}

/**
 * An original read for a render; `buffer`: the kept buffer `bytes` is a view of; `gone`: let go
 * (`bytes` must not be used after).
 */
type Original = { bytes: Uint8Array; source: ImageFormat; buffer?: Uint8Array; gone?: boolean }

/**
 * The stored original's format by its signature: libvips checks the structure as it decodes
 * (a damaged file fails the render), so only BMP, decoded here rather than by libvips, needs the
 * header walk first. Not the row's mimetype: adopted rows may not have one yet.
 */
function sourceFormat(original: Uint8Array): ImageFormat {
  const format = sniffImageFormat(original)
  if (format && format !== 'bmp') return format
  const inspected = inspectImage(original)
  if (!inspected.ok)
    throw new VariantRenderError(`The stored image is damaged: ${inspected.message}`)
  return inspected.info.format
}

/** Removes every variant of a content hash; called once no row holds that content. */
export async function deleteVariants(storage: Storage, md5: string) {
  const keys: string[] = []
  for await (const object of storage.list(variantPrefix(md5))) keys.push(object.key)
  for (const key of keys) await storage.delete(key)
}

/** A counting semaphore: at most `size` holders, the rest wait in order. */
class Semaphore {
  #free: number
  readonly #waiting: (() => void)[] = []

  constructor(size: number) {
    this.#free = size
  }

  async acquire(): Promise<() => void> {
    if (this.#free > 0) this.#free--
    else await new Promise<void>((resolve) => this.#waiting.push(resolve))
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.#waiting.shift()
      if (next) next()
      else this.#free++
    }
  }
}

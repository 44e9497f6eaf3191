export type ObjectInfo = { key: string; size: number; lastModified: Date }

/** Inclusive byte range, as in an HTTP `Range` header. */
export type ByteRange = { start: number; end: number }

export type PresignOptions = { expiresIn: number; contentType: string; contentDisposition: string }

/**
 * Object storage as the service needs it; keys are content-addressed (images/object-key.ts).
 * A driver throws `StorageUnavailable` when its store cannot be reached (storage/errors.ts).
 */
export interface Storage {
  readonly kind: 's3' | 'local'
  /** Writes the whole object atomically: readers never see a partial object. */
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>
  /** Streams the object (or one range of it) without buffering it; throws `ObjectNotFound`. */
  read(key: string, range?: ByteRange): Promise<ReadableStream<Uint8Array>>
  /** null when there is no such object. */
  stat(key: string): Promise<ObjectInfo | null>
  /**
   * Reads the whole object into `target`: its size, or null when it is larger than `target`;
   * throws `ObjectNotFound`. For a caller that keeps its buffer from read to read (a whole object
   * freshly allocated per read cost page faults and collections); optional, callers fall back to
   * `read`.
   */
  readInto?(key: string, target: Uint8Array): Promise<number | null>
  delete(key: string): Promise<void>
  /** Walks every object under `prefix` page by page, never holding the whole listing. */
  list(prefix: string): AsyncIterable<ObjectInfo>
  /** A URL the client can fetch directly, or null when the store has none (local directory). */
  presignDownload(key: string, options: PresignOptions): string | null
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>
}

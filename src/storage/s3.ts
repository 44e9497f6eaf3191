import { S3Client } from 'bun'
import { hasErrorCode } from '../error-chain'
import { MISSING_BUCKET_CODES, REFUSED_CREDENTIAL_CODES } from './bucket'
import { ObjectNotFound, StorageMisconfigured, StorageUnavailable } from './errors'
import type { ByteRange, ObjectInfo, PresignOptions, Storage } from './storage'

export type S3StorageOptions = {
  endpoint: string
  /** Endpoint the clients reach; presigned URLs are signed for it since SigV4 binds the host. */
  publicEndpoint?: string
  bucket: string
  region: string
  accessKeyId?: string
  secretAccessKey?: string
}

const isNotFound = (err: unknown) =>
  (err as { code?: string })?.code === 'NoSuchKey' ||
  (err as { code?: string })?.code === 'ERR_S3_FILE_NOT_FOUND' ||
  (err as { name?: string })?.name === 'NoSuchKey'

// Codes of Bun's fetch/S3 client and the OS that mean "the endpoint cannot be reached".
const UNREACHABLE_CODES = new Set([
  'ConnectionRefused',
  'ConnectionClosed',
  'FailedToOpenSocket',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
])

/** What a missing bucket or refused credentials mean to a client; undefined for other errors. */
function misconfiguration(err: unknown): StorageMisconfigured | undefined {
  const code = (err as { code?: unknown })?.code
  if (typeof code !== 'string') return undefined
  if (MISSING_BUCKET_CODES.has(code))
    return new StorageMisconfigured(code, 'The storage bucket does not exist; retry later', err)
  if (REFUSED_CREDENTIAL_CODES.has(code))
    return new StorageMisconfigured(code, 'The storage refused the credentials; retry later', err)
  return undefined
}

/**
 * Runs one call to the endpoint: an unreachable endpoint becomes `StorageUnavailable`, a missing
 * bucket or refused credentials `StorageMisconfigured`.
 */
async function reach<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    if (hasErrorCode(err, UNREACHABLE_CODES)) throw new StorageUnavailable(err)
    throw misconfiguration(err) ?? err
  }
}

export class S3Storage implements Storage {
  readonly kind = 's3'
  readonly #client: S3Client
  readonly #signer: S3Client

  constructor(options: S3StorageOptions) {
    const base = {
      bucket: options.bucket,
      region: options.region,
      accessKeyId: options.accessKeyId,
      secretAccessKey: options.secretAccessKey,
    }
    this.#client = new S3Client({ ...base, endpoint: options.endpoint })
    this.#signer = options.publicEndpoint
      ? new S3Client({ ...base, endpoint: options.publicEndpoint })
      : this.#client
  }

  async put(key: string, bytes: Uint8Array, contentType: string) {
    await reach(() => this.#client.write(key, bytes, { type: contentType }))
  }

  /**
   * A reader of the object and its first chunk, which decides between "missing" and a response,
   * in one request and with no gap for a concurrent delete between a probe and the read.
   */
  async #open(key: string, range?: ByteRange) {
    const file = this.#client.file(key)
    const reader = (range ? file.slice(range.start, range.end + 1) : file).stream().getReader()
    try {
      return { reader, first: await reach(() => reader.read()) }
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFound(key)
      throw err
    }
  }

  async read(key: string, range?: ByteRange) {
    const { reader, first } = await this.#open(key, range)
    return new ReadableStream<Uint8Array>({
      start(controller) {
        if (first.done) controller.close()
        else controller.enqueue(first.value)
      },
      async pull(controller) {
        const { done, value } = await reader.read()
        if (done) controller.close()
        else controller.enqueue(value)
      },
      cancel: (reason) => reader.cancel(reason),
    })
  }

  /** The body's chunks copied into `target` as they arrive, none of them kept. */
  async readInto(key: string, target: Uint8Array) {
    const { reader, first } = await this.#open(key)
    let filled = 0
    // No response has started: a cut mid-body is the store being unavailable, as at the start.
    for (let chunk = first; !chunk.done; chunk = await reach(() => reader.read())) {
      if (filled + chunk.value.byteLength > target.byteLength) {
        await reader.cancel()
        return null
      }
      target.set(chunk.value, filled)
      filled += chunk.value.byteLength
    }
    return filled
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    try {
      const s = await reach(() => this.#client.stat(key))
      return { key, size: s.size, lastModified: s.lastModified }
    } catch (err) {
      if (isNotFound(err)) return null
      throw err
    }
  }

  async delete(key: string) {
    await reach(() => this.#client.delete(key))
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let continuationToken: string | undefined
    do {
      const page = await reach(() =>
        this.#client.list({ prefix, continuationToken, maxKeys: 1000 }),
      )
      for (const o of page.contents ?? []) {
        yield {
          key: o.key,
          size: o.size ?? 0,
          lastModified: o.lastModified ? new Date(o.lastModified) : new Date(0),
        }
      }
      continuationToken = page.isTruncated ? page.nextContinuationToken : undefined
    } while (continuationToken)
  }

  presignDownload(key: string, options: PresignOptions) {
    return this.#signer.presign(key, {
      method: 'GET',
      expiresIn: options.expiresIn,
      type: options.contentType,
      contentDisposition: options.contentDisposition,
    })
  }

  async ping() {
    // An empty prefix: proves the endpoint, bucket and credentials without listing real objects.
    await reach(() => this.#client.list({ prefix: '.health/', maxKeys: 1 }))
  }
}

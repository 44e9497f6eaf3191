import { timingSafeEqual } from 'node:crypto'
import { contentDisposition } from '../media/filename'
import { UNKNOWN_TYPE } from '../media/inspect'
import type { Storage } from '../storage/storage'

type Linkable = { id: string; s3Key: string; mimetype: string | null; originalFilename: string }

/**
 * Download URLs that work for whoever receives them: a presigned GET from S3, or, for the local
 * store, this API's content route with an expiring HMAC signature.
 */
export class DownloadLinks {
  constructor(
    private readonly storage: Storage,
    private readonly secret: string,
    private readonly ttlSeconds: number,
    private readonly publicBaseUrl?: string,
    private readonly variantPresets: readonly string[] = [],
  ) {}

  /** Where clients reach this API: PUBLIC_BASE_URL, else the origin of the request answered. */
  baseUrl(requestUrl: string): string {
    return this.publicBaseUrl ?? new URL(requestUrl).origin
  }

  /**
   * One signed URL per variant preset (default format; append `&format=` for another). Always
   * this API's route: a variant may not be stored yet, so storage cannot presign it.
   */
  forVariants(image: Linkable, requestUrl: string): Record<string, string> {
    const expires = Math.floor(Date.now() / 1000) + this.ttlSeconds
    const base = this.baseUrl(requestUrl)
    const urls: Record<string, string> = {}
    for (const preset of this.variantPresets) {
      const signature = this.#sign(`${image.id}/${preset}`, expires)
      urls[preset] =
        `${base}/api/images/${image.id}/variants/${preset}?expires=${expires}&signature=${signature}`
    }
    return urls
  }

  /** True when `signature` was made by `forVariants` for this image and preset. */
  verifyVariant(id: string, preset: string, expires?: string, signature?: string) {
    return this.verify(`${id}/${preset}`, expires, signature)
  }

  /** `requestUrl`: the URL of the request being answered; its origin is the base of local links. */
  forImage(image: Linkable, requestUrl: string): string {
    const presigned = this.storage.presignDownload(image.s3Key, {
      expiresIn: this.ttlSeconds,
      contentType: image.mimetype ?? UNKNOWN_TYPE,
      contentDisposition: contentDisposition(image.originalFilename),
    })
    if (presigned) return presigned
    const expires = Math.floor(Date.now() / 1000) + this.ttlSeconds
    const base = this.baseUrl(requestUrl)
    return `${base}/api/images/${image.id}/content?expires=${expires}&signature=${this.#sign(image.id, expires)}`
  }

  /** True when `signature` was made by `forImage` for this id and has not expired. */
  verify(id: string, expires: string | undefined, signature: string | undefined): boolean {
    if (!expires || !signature || !/^\d{1,12}$/.test(expires)) return false
    if (Number(expires) < Date.now() / 1000) return false
    const expected = Buffer.from(this.#sign(id, Number(expires)))
    const given = Buffer.from(signature)
    return expected.length === given.length && timingSafeEqual(expected, given)
  }

  #sign(id: string, expires: number) {
    return new Bun.CryptoHasher('sha256', this.secret)
      .update(`${id}\n${expires}`)
      .digest('base64url')
  }
}

import { timingSafeEqual } from 'node:crypto'
import type { ApiKeySpec } from '../config'

/** Who presented a valid key, and whether it may write. */
export type Principal = { name: string; readOnly: boolean }

const digest = (value: string) => new Bun.CryptoHasher('sha256').update(value).digest()

/**
 * The accepted API keys. Keys are compared as SHA-256 digests with `timingSafeEqual`, against every
 * key without an early exit, so neither the key's length nor which key matched shows in timing.
 */
export class ApiKeyRing {
  readonly #entries: { digest: Buffer; principal: Principal }[]

  constructor(keys: ApiKeySpec[]) {
    this.#entries = keys.map((k) => ({
      digest: digest(k.key),
      principal: { name: k.name, readOnly: k.readOnly },
    }))
  }

  /** A short digest naming a key without revealing it: what a gallery session remembers. */
  static fingerprint(key: string): string {
    return digest(key).subarray(0, 16).toString('base64url')
  }

  /** The principal whose key has this fingerprint, if that key is still configured. */
  byFingerprint(fingerprint: string): Principal | undefined {
    const wanted = Buffer.from(fingerprint)
    let found: Principal | undefined
    for (const entry of this.#entries) {
      const own = Buffer.from(entry.digest.subarray(0, 16).toString('base64url'))
      if (own.length === wanted.length && timingSafeEqual(own, wanted)) found = entry.principal
    }
    return found
  }

  verify(presented: string): Principal | undefined {
    const candidate = digest(presented)
    let found: Principal | undefined
    for (const entry of this.#entries) {
      if (timingSafeEqual(entry.digest, candidate)) found = entry.principal
    }
    return found
  }
}

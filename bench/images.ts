import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeJpeg, withJpegComment } from '../test/support/images'

export type ImageSize = 'small' | 'large' | 'max'

// Sizes match the old service's baseline (43 KB, 2.1 MB) plus one just under the 5 MiB file limit.
export const SPECS: Record<ImageSize, { width: number; height: number; quality: number }> = {
  small: { width: 320, height: 240, quality: 70 },
  large: { width: 2048, height: 1536, quality: 75 },
  max: { width: 2048, height: 1536, quality: 95 },
}

export type BaseImages = Record<ImageSize, Uint8Array>

/**
 * The three base JPEGs: real, decodable noise images (jpeg-js, seeded, so deterministic). Encoding
 * the large ones takes seconds, so they are cached in the temp directory under their parameters.
 */
export function makeBaseImages(): BaseImages {
  const out = {} as BaseImages
  for (const [size, s] of Object.entries(SPECS) as [ImageSize, (typeof SPECS)[ImageSize]][]) {
    out[size] = baseImage(s)
  }
  return out
}

/** One seeded noise JPEG, cached in the temp directory under its parameters. */
export function baseImage(s: { width: number; height: number; quality: number }): Uint8Array {
  const cached = join(tmpdir(), `imgapi-bench-${s.width}x${s.height}-q${s.quality}-s7.jpg`)
  if (existsSync(cached)) return new Uint8Array(readFileSync(cached))
  const bytes = makeJpeg(s.width, s.height, { quality: s.quality, seed: 7 })
  writeFileSync(cached, bytes)
  return bytes
}

// The run id keeps bodies unique across runs that share a database or bucket.
const RUN_ID = `${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`

/** Same picture, unique bytes: a distinct COM segment right after SOI gives a distinct MD5. */
export function variant(base: Uint8Array, label: string, index: number): Uint8Array {
  return withJpegComment(base, `bench ${RUN_ID} ${label} ${index}`)
}

import { makeJpeg, withJpegComment } from '../test/support/images'

export type ImageSize = 'small' | 'large' | 'max'

// Sizes match the old service's baseline (43 KB, 2.1 MB) plus one just under the 5 MiB file limit.
export const SPECS: Record<ImageSize, { width: number; height: number; quality: number }> = {
  small: { width: 320, height: 240, quality: 70 },
  large: { width: 2048, height: 1536, quality: 75 },
  max: { width: 2048, height: 1536, quality: 95 },
}

export type BaseImages = Record<ImageSize, Uint8Array>

/** Builds the three base JPEGs once; real, decodable noise images (jpeg-js, seeded). */
export function makeBaseImages(): BaseImages {
  const out = {} as BaseImages
  for (const [size, s] of Object.entries(SPECS) as [ImageSize, (typeof SPECS)[ImageSize]][]) {
    out[size] = makeJpeg(s.width, s.height, { quality: s.quality, seed: 7 })
  }
  return out
}

// The run id keeps bodies unique across runs that share a database or bucket.
const RUN_ID = `${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`

/** Same picture, unique bytes: a distinct COM segment right after SOI gives a distinct MD5. */
export function variant(base: Uint8Array, label: string, index: number): Uint8Array {
  return withJpegComment(base, `bench ${RUN_ID} ${label} ${index}`)
}

import { greyOnWhite, renderRendition } from '../media/decode'
import { type ImageFormat, SUPPORTED_FORMATS } from '../media/inspect'

/** Width and height of the greyscale grid a dHash is computed from. */
export const DHASH_WIDTH = 9
export const DHASH_HEIGHT = 8
// Each grid cell averages a BLOCK×BLOCK square of the rendition libvips makes: an exact box
// filter. libvips' own reduction straight to 9×8 aliases on textures (brick, gravel) and flips
// up to half the bits under a plain JPEG recompression; see the README's evaluation.
const BLOCK = 8
/** Size of the greyscale rendition the hash is made from (what the upload's decode pass hands over). */
export const RENDITION_WIDTH = DHASH_WIDTH * BLOCK
export const RENDITION_HEIGHT = DHASH_HEIGHT * BLOCK
/** The rendition's size, as the decode pass takes it. */
export const RENDITION = { width: RENDITION_WIDTH, height: RENDITION_HEIGHT } as const

export type PerceptualHash = {
  /** 64-bit difference hash as a signed 64-bit integer (PostgreSQL `bigint`). */
  hash: bigint
  /** Too flat to mean anything: stored, but never compared (see `isLowInformation`). */
  lowInformation: boolean
}

// Adjacent pixels closer than this (of 255) are noise: their bit flips under any recompression.
const FLAT_STEP = 3
// Fewer informative comparisons than this and the hash says little more than "a flat image".
const MIN_INFORMATIVE_STEPS = 10
// All-zero or all-one hashes (and their near neighbours) come from gradients and blank images.
const MIN_MINORITY_BITS = 4

/**
 * dHash of a 9×8 greyscale raster, row by row: bit set when a pixel is brighter than its right
 * neighbour. Returned signed so it fits PostgreSQL's `bigint`.
 */
export function dHashFromGrey9x8(raw: ArrayLike<number>): bigint {
  if (raw.length !== DHASH_WIDTH * DHASH_HEIGHT) {
    throw new RangeError(`dHash needs ${DHASH_WIDTH * DHASH_HEIGHT} grey bytes, got ${raw.length}`)
  }
  let hash = 0n
  for (let y = 0; y < DHASH_HEIGHT; y++) {
    for (let x = 0; x < DHASH_WIDTH - 1; x++) {
      const i = y * DHASH_WIDTH + x
      hash = (hash << 1n) | ((raw[i] as number) > (raw[i + 1] as number) ? 1n : 0n)
    }
  }
  return BigInt.asIntN(64, hash)
}

export function popcount64(value: bigint): number {
  let v = BigInt.asUintN(64, value)
  let n = 0
  while (v) {
    v &= v - 1n
    n++
  }
  return n
}

export const hammingDistance = (a: bigint, b: bigint) => popcount64(a ^ b)

/** A flat or nearly uniform rendition: its hash would match every other flat image. */
export function isLowInformation(raw: ArrayLike<number>, hash: bigint): boolean {
  let informative = 0
  for (let y = 0; y < DHASH_HEIGHT; y++) {
    for (let x = 0; x < DHASH_WIDTH - 1; x++) {
      const i = y * DHASH_WIDTH + x
      if (Math.abs((raw[i] as number) - (raw[i + 1] as number)) >= FLAT_STEP) informative++
    }
  }
  const ones = popcount64(hash)
  return (
    informative < MIN_INFORMATIVE_STEPS || ones < MIN_MINORITY_BITS || ones > 64 - MIN_MINORITY_BITS
  )
}

export function perceptualHashFromGrey9x8(raw: ArrayLike<number>): PerceptualHash {
  const hash = dHashFromGrey9x8(raw)
  return { hash, lowInformation: isLowInformation(raw, hash) }
}

/** The 9×8 grid of block means of a 72×64 greyscale rendition (one byte per pixel). */
export function grey9x8FromRendition(rendition: Uint8Array): Float64Array {
  if (rendition.length !== RENDITION_WIDTH * RENDITION_HEIGHT) {
    throw new RangeError(
      `the rendition must be ${RENDITION_WIDTH}×${RENDITION_HEIGHT} grey bytes, got ${rendition.length}`,
    )
  }
  const grid = new Float64Array(DHASH_WIDTH * DHASH_HEIGHT)
  for (let y = 0; y < RENDITION_HEIGHT; y++) {
    const row = Math.floor(y / BLOCK) * DHASH_WIDTH
    for (let x = 0; x < RENDITION_WIDTH; x++) {
      const cell = row + Math.floor(x / BLOCK)
      grid[cell] = (grid[cell] as number) + (rendition[y * RENDITION_WIDTH + x] as number)
    }
  }
  for (let i = 0; i < grid.length; i++) grid[i] = (grid[i] as number) / (BLOCK * BLOCK)
  return grid
}

/** The perceptual hash of a 72×64 greyscale rendition: the entry point for the decode pass. */
export const perceptualHashFromRendition = (rendition: Uint8Array) =>
  perceptualHashFromGrey9x8(grey9x8FromRendition(rendition))

/**
 * The 72×64 greyscale rendition of an encoded image, made exactly as the upload's decode pass
 * makes it (`decodeImage`), so a hash computed here matches the stored ones: first frame,
 * EXIF-oriented, stretched with a cubic kernel, alpha flattened on white. JPEG and WebP shrink
 * on load, so a 12 MP photo is never decoded at full size.
 */
export async function renderGreyRendition(
  bytes: Uint8Array,
  format: ImageFormat,
  options: { limitInputPixels: number },
): Promise<Uint8Array> {
  const rendition = await renderRendition(bytes, format, {
    ...RENDITION,
    maxPixels: options.limitInputPixels,
    strict: false,
  })
  return greyOnWhite(rendition)
}

// Every supported format, BMP included: the rendition decodes them all (BMP by media/bmp-decode.ts).
const HASHABLE_FORMATS: ReadonlySet<ImageFormat> = new Set(SUPPORTED_FORMATS.map((f) => f.format))
/** Whether `perceptualHash` hashes the format; the backfill leaves the others out. */
export const isHashable = (format: ImageFormat) => HASHABLE_FORMATS.has(format)

/**
 * The perceptual hash of stored or searched-with bytes, or null when it cannot be computed
 * (not a supported image type, or pixel data that does not decode: an upload itself is judged
 * elsewhere, by the header check and the decode pass).
 */
export async function perceptualHash(
  bytes: Uint8Array,
  mimetype: string,
  options: { limitInputPixels: number },
): Promise<PerceptualHash | null> {
  const format = SUPPORTED_FORMATS.find((f) => f.mimetype === mimetype)?.format
  if (!format || !isHashable(format)) return null
  try {
    return perceptualHashFromRendition(await renderGreyRendition(bytes, format, options))
  } catch {
    return null
  }
}

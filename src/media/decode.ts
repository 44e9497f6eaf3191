import { BmpDecodeError } from './bmp-decode'
import { type ExifFields, readExif } from './exif'
import type { ImageFormat, ImageInfo } from './inspect'
import { openPixels } from './pixels'

/** Longest side of the raster a ThumbHash is computed from (it keeps only a few DCT terms). */
const THUMBHASH_SIDE = 32

/** Width and height of the one raster a decode reduces an image to. */
export type RenditionSize = { width: number; height: number }

export type DecodeOptions = {
  maxPixels: number
  /** The rendition every output comes from; also returned in greyscale (a perceptual hash's input). */
  rendition: RenditionSize
}

/** Everything the upload learns from the pixels and metadata, in one pass over the bytes. */
export type DecodedImage = {
  /** Base64 ThumbHash of the auto-oriented image, for placeholders. */
  thumbhash: string
  exif: ExifFields
  /** Row-major 8-bit greyscale of the rendition (alpha flattened on white). */
  grey: Uint8Array
}

/** The pixel data would not decode (truncated scan, corrupt compressed data, ...). */
export class UndecodableImage extends Error {}

/**
 * Decodes the image once into a small RGB(A) rendition, stretched to `rendition` (JPEG and WebP
 * shrink on load, BMP is sampled down), and derives every output from it: the ThumbHash (the
 * rendition resampled back to the image's aspect ratio) and the greyscale rendition. Decoding is
 * most of an upload's CPU time, so it happens once. EXIF is read from the metadata alongside.
 */
export async function decodeImage(
  bytes: Uint8Array,
  info: ImageInfo,
  options: DecodeOptions,
): Promise<DecodedImage> {
  const exif = readExif(bytes, info.format)
  let rendition: Rendition
  try {
    rendition = await renderRendition(bytes, info.format, {
      ...options.rendition,
      maxPixels: options.maxPixels,
      strict: true,
    })
  } catch (err) {
    throw new UndecodableImage(decodeMessage(info, err))
  }
  const fields = await exif
  // Orientations 5-8 turn the image a quarter: its displayed width is the stored height.
  const turned = fields.orientation !== null && fields.orientation >= 5
  const shown = turned
    ? { width: info.height, height: info.width }
    : { width: info.width, height: info.height }
  const small = resampleToAspect(rendition, shown, THUMBHASH_SIDE)
  const { rgbaToThumbHash } = await loadThumbhash()
  const thumbhash = Buffer.from(rgbaToThumbHash(small.width, small.height, small.data))
  return { thumbhash: thumbhash.toString('base64'), exif: fields, grey: greyOnWhite(rendition) }
}

// Loaded by the first upload, like sharp: nothing at start-up needs it. Kept, since an import()
// per call costs a tenth of a millisecond.
let thumbhashModule: Promise<typeof import('thumbhash')> | undefined
const loadThumbhash = () => {
  thumbhashModule ??= import('thumbhash')
  return thumbhashModule
}

/** Row-major 8-bit sRGB pixels, with alpha (4 channels) only when the image has it. */
export type Rendition = RenditionSize & { data: Uint8Array; channels: 3 | 4 }

/**
 * The first frame, EXIF-oriented, stretched to `width`×`height`, as 8-bit sRGB; libvips resizes
 * with a cubic kernel and premultiplied alpha. `strict` fails on any decoder warning.
 */
export async function renderRendition(
  bytes: Uint8Array,
  format: ImageFormat,
  options: RenditionSize & { maxPixels: number; strict: boolean },
): Promise<Rendition> {
  const { width, height } = options
  const pipeline = await openPixels(bytes, format, {
    maxPixels: options.maxPixels,
    target: { width, height, fit: 'fill' },
    strict: options.strict,
  })
  const { data, info } = await pipeline
    .resize(width, height, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer({ resolveWithObject: true })
  // Raw output is sRGB whatever the input's colourspace: three channels, or four with alpha.
  const channels = info.channels === 4 ? 4 : 3
  return {
    width,
    height,
    channels,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  }
}

// sRGB byte -> linear light, for a luminance computed the way libvips' b-w colourspace does.
const LINEAR = Float64Array.from({ length: 256 }, (_, v) => {
  const c = v / 255
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
})

/** Linear light -> the nearest sRGB byte (rounding half up), exactly as libvips writes it. */
export function toSrgbByte(linear: number) {
  const c = linear <= 0.0031308 ? linear * 12.92 : 1.055 * linear ** (1 / 2.4) - 0.055
  return Math.max(0, Math.min(255, Math.round(c * 255)))
}

// The least linear value of each sRGB byte from 1 up: `toSrgbByte` by binary search, without a
// power per pixel (that power was most of the greyscale's time).
const BYTE_FLOOR = Float64Array.from({ length: 256 }, (_, k) => {
  const c = (k - 0.5) / 255
  return k === 0
    ? Number.NEGATIVE_INFINITY
    : c <= 0.04045
      ? c / 12.92
      : ((c + 0.055) / 1.055) ** 2.4
})

export function toSrgbByteFast(linear: number) {
  let low = 0
  let high = 255
  while (low < high) {
    const mid = (low + high + 1) >> 1
    if (linear >= (BYTE_FLOOR[mid] as number)) low = mid
    else high = mid - 1
  }
  return low
}

/** Rec. 709 luminance of each pixel, composited on white first. */
export function greyOnWhite({ data, channels, width, height }: Rendition): Uint8Array {
  const grey = new Uint8Array(width * height)
  for (let i = 0, o = 0; i < grey.length; i++, o += channels) {
    let r = data[o] as number
    let g = data[o + 1] as number
    let b = data[o + 2] as number
    if (channels === 4) {
      const alpha = (data[o + 3] as number) / 255
      const white = 255 * (1 - alpha)
      r = Math.round(r * alpha + white)
      g = Math.round(g * alpha + white)
      b = Math.round(b * alpha + white)
    }
    grey[i] = toSrgbByteFast(
      0.2126 * (LINEAR[r] as number) +
        0.7152 * (LINEAR[g] as number) +
        0.0722 * (LINEAR[b] as number),
    )
  }
  return grey
}

/**
 * Box-averages a stretched rendition back to the `shown` aspect ratio as RGBA (ThumbHash's
 * input), at most `side` pixels on the longer edge and never more than the image itself has.
 */
export function resampleToAspect(
  from: Rendition,
  shown: RenditionSize,
  side: number,
): { width: number; height: number; data: Uint8Array } {
  const scale = Math.min(1, side / Math.max(shown.width, shown.height))
  const width = Math.max(1, Math.round(shown.width * scale))
  const height = Math.max(1, Math.round(shown.height * scale))
  const data = new Uint8Array(width * height * 4)
  const { channels } = from
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor((y * from.height) / height)
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * from.height) / height))
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor((x * from.width) / width)
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * from.width) / width))
      let r = 0
      let g = 0
      let b = 0
      let a = 0
      for (let sy = y0; sy < y1; sy++) {
        for (let sx = x0; sx < x1; sx++) {
          const o = (sy * from.width + sx) * channels
          r += from.data[o] as number
          g += from.data[o + 1] as number
          b += from.data[o + 2] as number
          a += channels === 4 ? (from.data[o + 3] as number) : 255
        }
      }
      const n = (y1 - y0) * (x1 - x0)
      const out = (y * width + x) * 4
      data[out] = Math.round(r / n)
      data[out + 1] = Math.round(g / n)
      data[out + 2] = Math.round(b / n)
      data[out + 3] = Math.round(a / n)
    }
  }
  return { width, height, data }
}

function decodeMessage(info: ImageInfo, err: unknown) {
  const label = info.format.toUpperCase()
  if (err instanceof BmpDecodeError) return err.message
  const detail = err instanceof Error ? err.message.split('\n')[0]?.trim() : ''
  return `${label} pixel data does not decode${detail ? `: ${detail}` : ''}`
}

import { BmpDecodeError } from './bmp-decode'
import { type ExifFields, readExif } from './exif'
import type { ImageInfo } from './inspect'
import { openPixels } from './pixels'
import { loadSharp } from './sharp'

/**
 * Side of the one small raster everything is derived from. ThumbHash takes up to 100 px but keeps
 * only a few DCT coefficients, so 32 px gives the same placeholder at a tenth of the JS work; it
 * is also the classic input size of a DCT perceptual hash.
 */
const DECODE_SIDE = 32

export type DecodeOptions = {
  maxPixels: number
  /** Also return a greyscale rendition of this size (e.g. 9x8 for a perceptual hash). */
  grey?: { width: number; height: number }
}

/** Everything the upload learns from the pixels and metadata, in one pass over the bytes. */
export type DecodedImage = {
  /** Base64 ThumbHash of the auto-oriented image, for placeholders. */
  thumbhash: string
  exif: ExifFields
  /** Row-major 8-bit greyscale, `grey.width * grey.height` bytes, when asked for. */
  grey?: Uint8Array
}

/** The pixel data would not decode (truncated scan, corrupt compressed data, ...). */
export class UndecodableImage extends Error {}

/**
 * Decodes the image once, shrunk on load (JPEG and WebP decode at a fraction of full size; BMP
 * is sampled down), to at most 32 px a side, and derives every output from that small raster.
 * EXIF is read from the metadata segments alongside.
 */
export async function decodeImage(
  bytes: Uint8Array,
  info: ImageInfo,
  options: DecodeOptions,
): Promise<DecodedImage> {
  const exif = readExif(bytes, info.format)
  let small: { data: Buffer; info: { width: number; height: number } }
  try {
    small = await (
      await openPixels(bytes, info.format, {
        maxPixels: options.maxPixels,
        longest: DECODE_SIDE,
        strict: true,
      })
    )
      .resize(DECODE_SIDE, DECODE_SIDE, { fit: 'inside', withoutEnlargement: true })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true })
  } catch (err) {
    throw new UndecodableImage(decodeMessage(info, err))
  }
  const { width, height } = small.info
  // Loaded by the first upload, like sharp: nothing at start-up needs it.
  const { rgbaToThumbHash } = await import('thumbhash')
  const thumbhash = Buffer.from(rgbaToThumbHash(width, height, small.data)).toString('base64')
  const grey = options.grey && (await greyRendition(small, options.grey))
  return { thumbhash, exif: await exif, ...(grey ? { grey } : {}) }
}

async function greyRendition(
  small: { data: Buffer; info: { width: number; height: number } },
  size: { width: number; height: number },
) {
  const sharp = await loadSharp()
  const out = await sharp(small.data, {
    raw: { width: small.info.width, height: small.info.height, channels: 4 },
  })
    .removeAlpha()
    .toColourspace('b-w')
    .resize(size.width, size.height, { fit: 'fill' })
    .raw()
    .toBuffer()
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}

function decodeMessage(info: ImageInfo, err: unknown) {
  const label = info.format.toUpperCase()
  if (err instanceof BmpDecodeError) return err.message
  const detail = err instanceof Error ? err.message.split('\n')[0]?.trim() : ''
  return `${label} pixel data does not decode${detail ? `: ${detail}` : ''}`
}

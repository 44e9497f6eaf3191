import type { ImageFormat } from './inspect'
import { openPixels } from './pixels'
import type { Pipeline } from './sharp'

export const VARIANT_FORMATS = ['webp', 'avif', 'jpeg', 'png'] as const
export type VariantFormat = (typeof VARIANT_FORMATS)[number]

export const VARIANT_CONTENT_TYPES: Record<VariantFormat, string> = {
  webp: 'image/webp',
  avif: 'image/avif',
  jpeg: 'image/jpeg',
  png: 'image/png',
}

// Quality/effort tuned for thumbnails served many times: AVIF effort 2 keeps it within ~3x WebP.
const ENCODERS = {
  webp: (p) => p.webp({ quality: 80, effort: 4 }),
  avif: (p) => p.avif({ quality: 50, effort: 2 }),
  jpeg: (p) => p.flatten({ background: '#ffffff' }).jpeg({ quality: 82, mozjpeg: false }),
  png: (p) => p.png({ compressionLevel: 6 }),
} satisfies Record<VariantFormat, (p: Pipeline) => Pipeline>

/** The rendering failed because the stored pixels do not decode (a row from before the check). */
export class VariantRenderError extends Error {}

/**
 * The first frame, auto-oriented, fit inside `side` x `side` without enlarging, converted to sRGB
 * with no metadata at all (no EXIF, GPS, XMP or ICC profile: sharp drops them unless asked).
 */
export async function renderVariant(
  bytes: Uint8Array,
  source: ImageFormat,
  side: number,
  format: VariantFormat,
  maxPixels: number,
): Promise<Uint8Array> {
  try {
    const pipeline = (
      await openPixels(bytes, source, {
        maxPixels,
        target: { width: side, height: side, fit: 'inside' },
      })
    )
      .resize(side, side, { fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
    const out = await ENCODERS[format](pipeline).toBuffer()
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
  } catch (err) {
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err)
    throw new VariantRenderError(`The stored image does not decode: ${detail}`)
  }
}

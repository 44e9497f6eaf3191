import { decodeBmp } from './bmp-decode'
import type { ImageFormat } from './inspect'
import { loadSharp, type Pipeline } from './sharp'

/** `inside`: fit within, aspect kept (variants); `fill`: stretched to exactly (the rendition). */
export type ResizeTarget = { width: number; height: number; fit: 'inside' | 'fill' }

export type PixelOptions = {
  /** MAX_IMAGE_PIXELS: libvips refuses larger inputs before decoding them. */
  maxPixels: number
  /** The box the caller resizes to next; lets BMP sample down as JPEG and WebP shrink on load. */
  target?: ResizeTarget
  /** Upload: refuse on any decoder warning (a truncated scan is only a warning to libjpeg). */
  strict?: boolean
}

/**
 * A sharp pipeline over the first frame of an image (animations give their first frame),
 * auto-oriented by EXIF, failing on decode errors rather than returning partial pixels.
 */
export async function openPixels(
  bytes: Uint8Array,
  format: ImageFormat,
  options: PixelOptions,
): Promise<Pipeline> {
  const sharp = await loadSharp()
  const common = {
    limitInputPixels: options.maxPixels,
    // Top to bottom once: libvips need not keep decoded rows around for random access.
    sequentialRead: true,
    failOn: options.strict ? ('warning' as const) : ('error' as const),
  }
  if (format === 'bmp') {
    const raw = decodeBmp(bytes, bmpStep(bytes, options.target))
    return sharp(raw.data, {
      ...common,
      raw: { width: raw.width, height: raw.height, channels: raw.channels },
    })
  }
  return sharp(bytes, { ...common, pages: 1 }).rotate()
}

/**
 * Keeps at least twice the wanted resolution so the later resize still has pixels to average: on
 * each axis for a stretch (a tall image stretched to a wide box needs its width kept), else on
 * the longer side.
 */
function bmpStep(bytes: Uint8Array, target: ResizeTarget | undefined) {
  if (!target) return 1
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const core = view.getUint32(14, true) === 12
  const width = core ? view.getUint16(18, true) : Math.abs(view.getInt32(18, true))
  const height = core ? view.getUint16(20, true) : Math.abs(view.getInt32(22, true))
  const step =
    target.fit === 'fill'
      ? Math.min(width / (2 * target.width), height / (2 * target.height))
      : Math.max(width, height) / (2 * Math.max(target.width, target.height))
  return Math.max(1, Math.floor(step))
}

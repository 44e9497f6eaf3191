import sharp from 'sharp'

/** Row-major 8-bit RGB pixels, top row first. */
export type RgbImage = { data: Uint8Array; width: number; height: number }

export type BmpLayout = {
  /** 24 BGR, 32 BGRX, 16 X1R5G5B5, 8 a colour table (the image may have at most 256 colours). */
  bits: 8 | 16 | 24 | 32
  /** Rows stored top row first (negative height) instead of the usual bottom row first. */
  topDown?: boolean
}

/** The RGB pixels of an encoded image (alpha dropped). */
export async function rgbOf(bytes: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(bytes)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
  return { data: new Uint8Array(data), width: info.width, height: info.height }
}

/** The same pixels as a PNG. */
export async function pngOf(image: RgbImage): Promise<Uint8Array> {
  const { data, width, height } = image
  return new Uint8Array(
    await sharp(data, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
  )
}

/** Each channel rounded to one of 6 levels: at most 216 colours, so it fits an 8-bit colour table. */
export function posterize(image: RgbImage): RgbImage {
  return { ...image, data: image.data.map((v) => Math.round((v / 255) * 5) * 51) }
}

/** Each channel cut to 5 bits and scaled back, as a 16-bit (5-5-5) BMP stores and decodes it. */
export function quantize555(image: RgbImage): RgbImage {
  return { ...image, data: image.data.map((v) => Math.round((v >> 3) * (255 / 31))) }
}

/**
 * An uncompressed BMP (BITMAPINFOHEADER, BI_RGB) with its header and colour `table` (4 bytes an
 * entry) written and its pixel rows zeroed; rows start at `offset`, `rowBytes` apart.
 */
export function bmpFile(
  width: number,
  height: number,
  bits: number,
  table: ArrayLike<number> = [],
  topDown = false,
) {
  const rowBytes = Math.ceil((width * bits) / 32) * 4
  const offset = 14 + 40 + table.length
  const bytes = new Uint8Array(offset + rowBytes * height)
  const view = new DataView(bytes.buffer)
  bytes.set([0x42, 0x4d])
  view.setUint32(2, bytes.byteLength, true)
  view.setUint32(10, offset, true)
  view.setUint32(14, 40, true)
  view.setInt32(18, width, true)
  view.setInt32(22, topDown ? -height : height, true)
  view.setUint16(26, 1, true)
  view.setUint16(28, bits, true)
  if (table.length) view.setUint32(46, table.length / 4, true) // colours used
  bytes.set(table, 54)
  return { bytes, view, offset, rowBytes }
}

/** An uncompressed BMP (BITMAPINFOHEADER, BI_RGB) of the given pixels. */
export function encodeBmp(image: RgbImage, layout: BmpLayout): Uint8Array {
  const { data, width, height } = image
  const { bits } = layout
  const palette = bits === 8 ? colourTable(image) : undefined
  const table = (palette?.colours ?? []).flatMap((rgb) => [
    rgb & 0xff,
    (rgb >> 8) & 0xff,
    rgb >> 16,
    0,
  ])
  const { bytes, view, offset, rowBytes } = bmpFile(width, height, bits, table, layout.topDown)
  view.setUint32(34, rowBytes * height, true)
  for (let y = 0; y < height; y++) {
    const row = offset + (layout.topDown ? y : height - 1 - y) * rowBytes
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3
      const [r, g, b] = [data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0]
      if (palette) bytes[row + x] = palette.index.get((r << 16) | (g << 8) | b) ?? 0
      else if (bits === 16) {
        view.setUint16(row + x * 2, ((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3), true)
      } else {
        const at = row + x * (bits / 8)
        bytes.set([b, g, r], at)
      }
    }
  }
  return bytes
}

function colourTable(image: RgbImage) {
  const index = new Map<number, number>()
  const colours: number[] = []
  for (let i = 0; i < image.data.length; i += 3) {
    const rgb =
      ((image.data[i] ?? 0) << 16) | ((image.data[i + 1] ?? 0) << 8) | (image.data[i + 2] ?? 0)
    if (!index.has(rgb)) {
      index.set(rgb, colours.length)
      colours.push(rgb)
    }
  }
  if (colours.length > 256) throw new RangeError(`${colours.length} colours do not fit 8 bits`)
  return { index, colours }
}

/**
 * Decodes an uncompressed BMP to raw RGB for sharp, which (libvips) has no BMP loader. `step`
 * averages each step×step block to one pixel, so a small rendition never holds the full image:
 * the BMP counterpart of shrink-on-load. Averaging, not sampling every step-th pixel, keeps the
 * rendition (and so the perceptual hash) close to the one libvips makes of the same picture as
 * PNG; sampling aliased edges and moved hashes by up to 8 bits. The header was checked by
 * `inspectImage` first.
 */

export type RawImage = { data: Uint8Array; width: number; height: number; channels: 3 }

export class BmpDecodeError extends Error {}

const BI_RGB = 0
const BI_BITFIELDS = 3
const BI_ALPHABITFIELDS = 6

type Masks = { r: number; g: number; b: number }

export function decodeBmp(bytes: Uint8Array, step = 1): RawImage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const dibSize = view.getUint32(14, true)
  const core = dibSize === 12
  const width = core ? view.getUint16(18, true) : view.getInt32(18, true)
  const signedHeight = core ? view.getInt16(20, true) : view.getInt32(22, true)
  const bpp = view.getUint16(core ? 24 : 28, true)
  const compression = core ? BI_RGB : view.getUint32(30, true)
  const pixelOffset = view.getUint32(10, true)
  const height = Math.abs(signedHeight)
  const topDown = signedHeight < 0
  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS) {
    throw new BmpDecodeError('BMP uses a compressed pixel format (RLE, JPEG or PNG) not supported')
  }
  const rowBytes = Math.ceil((width * bpp) / 32) * 4
  if (pixelOffset + rowBytes * height > bytes.byteLength) {
    throw new BmpDecodeError('BMP pixel data is truncated')
  }

  const palette = bpp <= 8 ? readPalette(bytes, view, dibSize, core, bpp) : undefined
  const masks = compression === BI_RGB ? defaultMasks(bpp) : readMasks(view, bpp)
  const shift = masks && {
    r: channelShift(masks.r),
    g: channelShift(masks.g),
    b: channelShift(masks.b),
  }

  const s = Math.max(1, Math.floor(step))
  const outW = Math.ceil(width / s)
  const outH = Math.ceil(height / s)
  const out = new Uint8Array(outW * outH * 3)
  const line = new Uint8Array(width * 3)
  const sums = new Uint32Array(outW * 3)
  const cellOf = Uint32Array.from({ length: width }, (_, x) => Math.floor(x / s) * 3)
  for (let oy = 0; oy < outH; oy++) {
    const y0 = oy * s
    const y1 = Math.min(height, y0 + s)
    sums.fill(0)
    for (let y = y0; y < y1; y++) {
      const row = pixelOffset + (topDown ? y : height - 1 - y) * rowBytes
      readRow(bytes, view, row, width, bpp, palette, masks, shift, line)
      for (let x = 0, o = 0; x < width; x++, o += 3) {
        const cell = cellOf[x] as number
        sums[cell] = (sums[cell] as number) + (line[o] as number)
        sums[cell + 1] = (sums[cell + 1] as number) + (line[o + 1] as number)
        sums[cell + 2] = (sums[cell + 2] as number) + (line[o + 2] as number)
      }
    }
    for (let ox = 0; ox < outW; ox++) {
      const n = (y1 - y0) * (Math.min(width, (ox + 1) * s) - ox * s)
      for (let c = 0; c < 3; c++) {
        out[(oy * outW + ox) * 3 + c] = Math.round((sums[ox * 3 + c] as number) / n)
      }
    }
  }
  return { data: out, width: outW, height: outH, channels: 3 }
}

/** One stored row as RGB triples into `line`. */
function readRow(
  bytes: Uint8Array,
  view: DataView,
  row: number,
  width: number,
  bpp: number,
  palette: Uint8Array | undefined,
  masks: Masks | undefined,
  shift: { r: Shift; g: Shift; b: Shift } | undefined,
  line: Uint8Array,
) {
  let o = 0
  if (palette) {
    for (let x = 0; x < width; x++) {
      const bitPos = x * bpp
      const byte = bytes[row + (bitPos >>> 3)] ?? 0
      const at = ((byte >>> (8 - bpp - (bitPos & 7))) & ((1 << bpp) - 1)) * 3
      line[o++] = palette[at] ?? 0
      line[o++] = palette[at + 1] ?? 0
      line[o++] = palette[at + 2] ?? 0
    }
  } else if (bpp === 24) {
    for (let at = row, end = row + width * 3; at < end; at += 3) {
      line[o++] = bytes[at + 2] ?? 0
      line[o++] = bytes[at + 1] ?? 0
      line[o++] = bytes[at] ?? 0
    }
  } else if (shift && masks) {
    for (let x = 0; x < width; x++) {
      const value =
        bpp === 16 ? view.getUint16(row + x * 2, true) : view.getUint32(row + x * 4, true)
      line[o++] = scaled(value, masks.r, shift.r)
      line[o++] = scaled(value, masks.g, shift.g)
      line[o++] = scaled(value, masks.b, shift.b)
    }
  } else {
    throw new BmpDecodeError(`BMP bit count ${bpp} is not supported`)
  }
}

/** RGB triples (not BGR) from the colour table that follows the DIB header and any masks. */
function readPalette(
  bytes: Uint8Array,
  view: DataView,
  dibSize: number,
  core: boolean,
  bpp: number,
) {
  const entrySize = core ? 3 : 4
  const declared = core ? 0 : view.getUint32(46, true)
  const count = Math.min(declared || 2 ** bpp, 2 ** bpp)
  const compression = core ? BI_RGB : view.getUint32(30, true)
  // A 40-byte header with BI_BITFIELDS is followed by three masks before the table.
  const extra = dibSize === 40 && compression === BI_BITFIELDS ? 12 : 0
  const start = 14 + dibSize + extra
  const palette = new Uint8Array(2 ** bpp * 3)
  for (let i = 0; i < count; i++) {
    const at = start + i * entrySize
    if (at + 3 > bytes.byteLength) throw new BmpDecodeError('BMP colour table is truncated')
    palette[i * 3] = bytes[at + 2] ?? 0
    palette[i * 3 + 1] = bytes[at + 1] ?? 0
    palette[i * 3 + 2] = bytes[at] ?? 0
  }
  return palette
}

function defaultMasks(bpp: number): Masks | undefined {
  if (bpp === 16) return { r: 0x7c00, g: 0x03e0, b: 0x001f }
  if (bpp === 32) return { r: 0x00ff0000, g: 0x0000ff00, b: 0x000000ff }
  return undefined
}

function readMasks(view: DataView, bpp: number): Masks {
  if (bpp !== 16 && bpp !== 32) throw new BmpDecodeError('BMP bitfields need 16 or 32 bits a pixel')
  const masks = {
    r: view.getUint32(54, true),
    g: view.getUint32(58, true),
    b: view.getUint32(62, true),
  }
  if (!masks.r || !masks.g || !masks.b) throw new BmpDecodeError('BMP has an empty colour mask')
  return masks
}

type Shift = { shift: number; max: number }

function channelShift(mask: number): Shift {
  let shift = 0
  while (((mask >>> shift) & 1) === 0) shift++
  let bits = 0
  while (((mask >>> (shift + bits)) & 1) === 1) bits++
  return { shift, max: 2 ** bits - 1 }
}

function scaled(value: number, mask: number, s: Shift) {
  return Math.round((((value & mask) >>> 0) >>> s.shift) * (255 / s.max))
}

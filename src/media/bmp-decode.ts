/**
 * Decodes an uncompressed BMP to raw RGB for sharp, which (libvips) has no BMP loader. `step`
 * samples every step-th pixel of every step-th row, so a small rendition never holds the full
 * image: the BMP counterpart of shrink-on-load. The header was checked by `inspectImage` first.
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
  let o = 0
  for (let oy = 0; oy < outH; oy++) {
    const y = oy * s
    const row = pixelOffset + (topDown ? y : height - 1 - y) * rowBytes
    for (let ox = 0; ox < outW; ox++) {
      const x = ox * s
      if (palette) {
        const bitPos = x * bpp
        const byte = bytes[row + (bitPos >>> 3)] ?? 0
        const index = (byte >>> (8 - bpp - (bitPos & 7))) & ((1 << bpp) - 1)
        const at = index * 3
        out[o++] = palette[at] ?? 0
        out[o++] = palette[at + 1] ?? 0
        out[o++] = palette[at + 2] ?? 0
      } else if (bpp === 24) {
        const at = row + x * 3
        out[o++] = bytes[at + 2] ?? 0
        out[o++] = bytes[at + 1] ?? 0
        out[o++] = bytes[at] ?? 0
      } else if (shift && masks) {
        const value =
          bpp === 16 ? view.getUint16(row + x * 2, true) : view.getUint32(row + x * 4, true)
        out[o++] = scaled(value, masks.r, shift.r)
        out[o++] = scaled(value, masks.g, shift.g)
        out[o++] = scaled(value, masks.b, shift.b)
      } else {
        throw new BmpDecodeError(`BMP bit count ${bpp} is not supported`)
      }
    }
  }
  return { data: out, width: outW, height: outH, channels: 3 }
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

function channelShift(mask: number) {
  let shift = 0
  while (((mask >>> shift) & 1) === 0) shift++
  let bits = 0
  while (((mask >>> (shift + bits)) & 1) === 1) bits++
  return { shift, max: 2 ** bits - 1 }
}

function scaled(value: number, mask: number, s: { shift: number; max: number }) {
  return Math.round((((value & mask) >>> 0) >>> s.shift) * (255 / s.max))
}

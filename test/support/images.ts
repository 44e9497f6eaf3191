/**
 * Real, decodable image fixtures built in code, so tests need no binary files. Every generator is
 * deterministic: the same arguments always give the same bytes (and MD5).
 */
import { deflateSync } from 'node:zlib'
import jpeg from 'jpeg-js'

export function md5Hex(bytes: Uint8Array): string {
  return new Bun.CryptoHasher('md5').update(bytes).digest('hex')
}

// PNG

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/** 8-bit truecolor PNG with a gradient plus seeded noise, so different seeds give different bytes. */
export function makePng(width: number, height: number, opts: { seed?: number } = {}): Uint8Array {
  const random = seededRandom(opts.seed ?? 0)
  const stride = 1 + width * 3
  const scanlines = new Uint8Array(stride * height) // filter byte 0 (None) starts every row
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = noisyPixel(x, y, width, height, random)
      scanlines.set([r, g, b], y * stride + 1 + x * 3)
    }
  }
  return pngFile(width, height, deflateSync(scanlines))
}

/** Valid structure declaring any size with almost no data: the shape of a pixel-flood upload. */
export function pngHeaderOnly(width: number, height: number): Uint8Array {
  return pngFile(width, height, deflateSync(new Uint8Array(1)))
}

function pngFile(width: number, height: number, idat: Uint8Array) {
  const ihdr = new Uint8Array(13)
  const view = new DataView(ihdr.buffer)
  view.setUint32(0, width)
  view.setUint32(4, height)
  ihdr.set([8, 2, 0, 0, 0], 8) // bit depth 8, truecolor, deflate, adaptive filters, no interlace
  return concat([
    new Uint8Array(PNG_SIGNATURE),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', new Uint8Array(0)),
  ])
}

export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const chunk = new Uint8Array(12 + data.byteLength)
  const view = new DataView(chunk.buffer)
  view.setUint32(0, data.byteLength)
  chunk.set(latin1(type), 4)
  chunk.set(data, 8)
  view.setUint32(8 + data.byteLength, crc32(chunk.subarray(4, 8 + data.byteLength)))
  return chunk
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

/**
 * The textbook CRC-32 from the PNG specification (annex D), written out independently of
 * Bun.hash.crc32 so the fixtures can check that the inspector's native CRC is the same one.
 */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

// JPEG

/** Baseline JPEG from jpeg-js; the noise keeps file sizes close to those of real photos. */
export function makeJpeg(
  width: number,
  height: number,
  opts: { quality?: number; seed?: number } = {},
): Uint8Array {
  const random = seededRandom(opts.seed ?? 0)
  const rgba = new Uint8Array(width * height * 4)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      rgba.set([...noisyPixel(x, y, width, height, random), 255], (y * width + x) * 4)
    }
  }
  return new Uint8Array(jpeg.encode({ data: rgba, width, height }, opts.quality ?? 90).data)
}

/** Inserts a COM segment right after SOI: same picture, different bytes and MD5. */
export function withJpegComment(jpegBytes: Uint8Array, comment: string): Uint8Array {
  const text = new TextEncoder().encode(comment)
  const length = text.byteLength + 2
  if (length > 0xffff) throw new Error('JPEG comment is too long for one COM segment')
  const segment = new Uint8Array([0xff, 0xfe, length >> 8, length & 0xff])
  return concat([jpegBytes.subarray(0, 2), segment, text, jpegBytes.subarray(2)])
}

// GIF

/** GIF89a with a 4-color global table and one full-size image of a diagonal stripe pattern. */
export function makeGif(width: number, height: number): Uint8Array {
  const header = new Uint8Array(13)
  const view = new DataView(header.buffer)
  header.set(latin1('GIF89a'))
  view.setUint16(6, width, true)
  view.setUint16(8, height, true)
  header[10] = 0x91 // global color table, 2 bits of color resolution, 4 entries
  const palette = new Uint8Array([0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0, 255])

  const descriptor = new Uint8Array(10)
  const descriptorView = new DataView(descriptor.buffer)
  descriptor[0] = 0x2c
  descriptorView.setUint16(5, width, true)
  descriptorView.setUint16(7, height, true)

  const indices = Array.from({ length: width * height }, (_, i) => {
    const x = i % width
    const y = Math.floor(i / width)
    return (x + y) & 3
  })
  return concat([
    header,
    palette,
    descriptor,
    new Uint8Array([GIF_MIN_CODE_SIZE]),
    gifSubBlocks(gifLzw(indices)),
    new Uint8Array([0x3b]),
  ])
}

export const GIF_MIN_CODE_SIZE = 2
const GIF_CLEAR = 1 << GIF_MIN_CODE_SIZE
const GIF_EOI = GIF_CLEAR + 1

/**
 * Valid LZW without compression: a clear code every two literals keeps the dictionary from ever
 * growing past 3-bit codes, so every decoder reads the same fixed-width stream.
 */
export function gifLzw(indices: number[]) {
  const bits = new BitWriter()
  indices.forEach((index, i) => {
    if (i % 2 === 0) bits.write(GIF_CLEAR, 3)
    bits.write(index, 3)
  })
  bits.write(GIF_EOI, 3)
  return bits.bytes()
}

export function gifSubBlocks(data: Uint8Array) {
  const blocks: Uint8Array[] = []
  for (let at = 0; at < data.byteLength; at += 255) {
    const part = data.subarray(at, at + 255)
    blocks.push(new Uint8Array([part.byteLength]), part)
  }
  blocks.push(new Uint8Array([0]))
  return concat(blocks)
}

// BMP

/** 24-bit bottom-up BMP with a BITMAPINFOHEADER; rows are padded to 4 bytes. */
export function makeBmp(width: number, height: number): Uint8Array {
  const rowBytes = Math.ceil((width * 3) / 4) * 4
  const pixelOffset = 14 + 40
  const bytes = new Uint8Array(pixelOffset + rowBytes * height)
  const view = new DataView(bytes.buffer)
  bytes.set(latin1('BM'))
  view.setUint32(2, bytes.byteLength, true)
  view.setUint32(10, pixelOffset, true)
  view.setUint32(14, 40, true)
  view.setInt32(18, width, true)
  view.setInt32(22, height, true)
  view.setUint16(26, 1, true) // planes
  view.setUint16(28, 24, true) // bits per pixel
  view.setUint32(34, rowBytes * height, true)
  view.setInt32(38, 2835, true) // 72 dpi
  view.setInt32(42, 2835, true)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = pixelOffset + y * rowBytes + x * 3
      bytes.set([Math.floor((x * 255) / width), Math.floor((y * 255) / height), (x ^ y) & 0xff], at) // BGR
    }
  }
  return bytes
}

// WebP

/**
 * Lossless WebP of one flat color. Each of the five prefix codes is a "simple" code with a single
 * symbol, which takes zero bits per pixel, so the whole bitstream is a few bytes for any size.
 */
export function makeWebp(width: number, height: number): Uint8Array {
  return riff([webpChunk('VP8L', vp8lBitstream(width, height))])
}

/** Extended-format WebP: a VP8X canvas header followed by the same VP8L image. */
export function makeWebpExtended(width: number, height: number): Uint8Array {
  const header = new Uint8Array(10) // flags and reserved bytes all zero
  writeU24LE(header, 4, width - 1)
  writeU24LE(header, 7, height - 1)
  return riff([webpChunk('VP8X', header), webpChunk('VP8L', vp8lBitstream(width, height))])
}

export function vp8lBitstream(width: number, height: number) {
  const bits = new BitWriter()
  bits.write(0x2f, 8) // signature
  bits.write(width - 1, 14)
  bits.write(height - 1, 14)
  bits.write(0, 1) // alpha hint
  bits.write(0, 3) // version
  bits.write(0, 1) // no transforms
  bits.write(0, 1) // no color cache
  bits.write(0, 1) // no meta prefix codes
  // Green, red, blue, alpha, then the (unused) distance code.
  for (const symbol of [0x99, 0x33, 0xcc, 0xff, 0]) writeSingleSymbolCode(bits, symbol)
  return bits.bytes()
}

function writeSingleSymbolCode(bits: BitWriter, symbol: number) {
  const wide = symbol > 1
  bits.write(1, 1) // simple code
  bits.write(0, 1) // one symbol
  bits.write(wide ? 1 : 0, 1)
  bits.write(symbol, wide ? 8 : 1)
}

export function webpChunk(type: string, payload: Uint8Array) {
  const padded = payload.byteLength + (payload.byteLength & 1)
  const chunk = new Uint8Array(8 + padded)
  chunk.set(latin1(type))
  new DataView(chunk.buffer).setUint32(4, payload.byteLength, true)
  chunk.set(payload, 8)
  return chunk
}

export function riff(chunks: Uint8Array[]) {
  const body = concat([latin1('WEBP'), ...chunks])
  const header = new Uint8Array(8)
  header.set(latin1('RIFF'))
  new DataView(header.buffer).setUint32(4, body.byteLength, true)
  return concat([header, body])
}

// Shared helpers

/** LSB-first bit packing, as both GIF LZW and VP8L use. */
class BitWriter {
  private readonly out: number[] = []
  private buffer = 0
  private count = 0

  write(value: number, width: number) {
    for (let i = 0; i < width; i++) {
      this.buffer |= ((value >>> i) & 1) << this.count
      if (++this.count === 8) this.flush()
    }
  }

  bytes() {
    if (this.count > 0) this.flush()
    return new Uint8Array(this.out)
  }

  private flush() {
    this.out.push(this.buffer)
    this.buffer = 0
    this.count = 0
  }
}

/** Mulberry32: tiny, fast and good enough to make distinct, repeatable pixel noise. */
function seededRandom(seed: number) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 0x100000000
  }
}

function noisyPixel(x: number, y: number, width: number, height: number, random: () => number) {
  const noise = () => Math.floor(random() * 96) - 48
  const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)))
  return [
    clamp((x * 255) / Math.max(1, width - 1) + noise()),
    clamp((y * 255) / Math.max(1, height - 1) + noise()),
    clamp(128 + noise()),
  ] as const
}

export function writeU24LE(bytes: Uint8Array, at: number, value: number) {
  bytes.set([value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff], at)
}

export function latin1(text: string) {
  return Uint8Array.from(text, (c) => c.charCodeAt(0))
}

export function concat(parts: Uint8Array[]) {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.byteLength, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.byteLength
  }
  return out
}

/**
 * Identifies an image by its bytes alone (never by file name or Content-Type) and checks that its
 * container structure is whole. Runs on every upload, so it only walks headers and chunk/segment
 * boundaries through a DataView: no copies, no pixel decoding.
 */

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'bmp' | 'webp'

export interface ImageInfo {
  format: ImageFormat
  mimetype: string
  extension: string
  width: number
  height: number
}

export type InspectResult =
  | { ok: true; info: ImageInfo }
  | { ok: false; reason: 'unsupported' | 'corrupt'; message: string }

export const SUPPORTED_FORMATS: readonly {
  format: ImageFormat
  mimetype: string
  extension: string
}[] = Object.freeze([
  { format: 'png', mimetype: 'image/png', extension: 'png' },
  { format: 'jpeg', mimetype: 'image/jpeg', extension: 'jpg' },
  { format: 'gif', mimetype: 'image/gif', extension: 'gif' },
  { format: 'bmp', mimetype: 'image/bmp', extension: 'bmp' },
  { format: 'webp', mimetype: 'image/webp', extension: 'webp' },
])

type Size = { width: number; height: number }
/** A parser either finds the declared size or says, in one sentence, what is broken. */
type Parsed = Size | { error: string }
type Parser = (bytes: Uint8Array, view: DataView) => Parsed

const UNSUPPORTED_MESSAGE = 'File is not a supported image (PNG, JPEG, GIF, BMP or WebP)'

export function inspectImage(bytes: Uint8Array): InspectResult {
  if (bytes.byteLength === 0) return { ok: false, reason: 'unsupported', message: 'File is empty' }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const format = sniffFormat(bytes, view)
  if (!format) return { ok: false, reason: 'unsupported', message: UNSUPPORTED_MESSAGE }

  const parsed = PARSERS[format](bytes, view)
  if ('error' in parsed) return { ok: false, reason: 'corrupt', message: parsed.error }
  if (parsed.width <= 0 || parsed.height <= 0) {
    return { ok: false, reason: 'corrupt', message: `${LABELS[format]} has a zero width or height` }
  }
  return { ok: true, info: { ...formatEntry(format), ...parsed } }
}

const LABELS: Record<ImageFormat, string> = {
  png: 'PNG',
  jpeg: 'JPEG',
  gif: 'GIF',
  bmp: 'BMP',
  webp: 'WebP',
}

function formatEntry(format: ImageFormat) {
  const entry = SUPPORTED_FORMATS.find((f) => f.format === format)
  if (!entry) throw new Error(`No format entry for ${format}`)
  return entry
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff]
const GIF87_SIGNATURE = ascii('GIF87a')
const GIF89_SIGNATURE = ascii('GIF89a')
const RIFF = ascii('RIFF')
const WEBP = ascii('WEBP')
const BM = ascii('BM')
/** Known BMP DIB header sizes; requiring one keeps text that starts with "BM" out of the BMP path. */
const BMP_DIB_SIZES = new Set([12, 40, 52, 56, 64, 108, 124])

function sniffFormat(bytes: Uint8Array, view: DataView): ImageFormat | undefined {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png'
  if (startsWith(bytes, JPEG_SIGNATURE)) return 'jpeg'
  if (startsWith(bytes, GIF87_SIGNATURE) || startsWith(bytes, GIF89_SIGNATURE)) return 'gif'
  if (startsWith(bytes, RIFF) && startsWith(bytes, WEBP, 8)) return 'webp'
  if (
    startsWith(bytes, BM) &&
    bytes.byteLength >= 18 &&
    BMP_DIB_SIZES.has(view.getUint32(14, true))
  ) {
    return 'bmp'
  }
  return undefined
}

const PARSERS: Record<ImageFormat, Parser> = {
  png: parsePng,
  jpeg: parseJpeg,
  gif: parseGif,
  bmp: parseBmp,
  webp: parseWebp,
}

// PNG: signature, then chunks of [length u32][type 4][data][crc u32], IHDR first, IEND last.

const PNG_MAX_U31 = 0x7fffffff
const IHDR = fourcc('IHDR')
const IDAT = fourcc('IDAT')
const IEND = fourcc('IEND')

function parsePng(bytes: Uint8Array, view: DataView): Parsed {
  const end = bytes.byteLength
  let offset = PNG_SIGNATURE.length
  let size: Size | undefined
  let sawData = false

  while (offset < end) {
    if (offset + 12 > end) return { error: 'PNG is truncated inside a chunk header' }
    const length = view.getUint32(offset)
    const type = view.getUint32(offset + 4)
    const dataStart = offset + 8
    const dataEnd = dataStart + length
    if (length > PNG_MAX_U31 || dataEnd + 4 > end) {
      return { error: `PNG is truncated: chunk ${chunkName(bytes, offset + 4)} does not fit` }
    }
    if (!isChunkType(bytes, offset + 4)) return { error: 'PNG has a malformed chunk type' }
    if (Bun.hash.crc32(bytes.subarray(offset + 4, dataEnd)) !== view.getUint32(dataEnd)) {
      return { error: `PNG chunk ${chunkName(bytes, offset + 4)} has a bad CRC` }
    }

    if (!size) {
      if (type !== IHDR || length !== 13) return { error: 'PNG does not start with an IHDR chunk' }
      const header = checkIhdr(bytes, view, dataStart)
      if ('error' in header) return header
      size = header
    } else if (type === IHDR) {
      return { error: 'PNG has more than one IHDR chunk' }
    } else if (type === IDAT) {
      sawData = true
    } else if (type === IEND) {
      if (!sawData) return { error: 'PNG has no image data (IDAT)' }
      if (dataEnd + 4 !== end) return { error: 'PNG has trailing data after IEND' }
      return size
    }
    offset = dataEnd + 4
  }
  return { error: 'PNG is truncated: no IEND chunk' }
}

/** Bit depths allowed per color type (PNG spec, table 11.1). */
const PNG_BIT_DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
}

function checkIhdr(bytes: Uint8Array, view: DataView, at: number): Parsed {
  const width = view.getUint32(at)
  const height = view.getUint32(at + 4)
  if (width > PNG_MAX_U31 || height > PNG_MAX_U31) {
    return { error: 'PNG dimensions are out of range' }
  }
  const bitDepth = bytes[at + 8] ?? 0
  const colorType = bytes[at + 9] ?? 0
  if (!PNG_BIT_DEPTHS[colorType]?.includes(bitDepth)) {
    return { error: 'PNG has an invalid bit depth or color type' }
  }
  // Compression, filter and interlace methods: only 0/0/0-1 are defined.
  if (bytes[at + 10] !== 0 || bytes[at + 11] !== 0 || (bytes[at + 12] ?? 2) > 1) {
    return { error: 'PNG has an unknown compression, filter or interlace method' }
  }
  return { width, height }
}

function isChunkType(bytes: Uint8Array, at: number) {
  for (let i = at; i < at + 4; i++) {
    const c = (bytes[i] ?? 0) | 0x20
    if (c < 0x61 || c > 0x7a) return false
  }
  return true
}

function chunkName(bytes: Uint8Array, at: number) {
  return isChunkType(bytes, at) ? String.fromCharCode(...bytes.subarray(at, at + 4)) : '(invalid)'
}

// JPEG: SOI, marker segments up to SOS, entropy-coded data (with stuffed FF00 and RSTn), then
// either more segments (progressive/multi-scan) or EOI.

const JPEG_MAX_TRAILING_ZEROS = 16

function parseJpeg(bytes: Uint8Array, view: DataView): Parsed {
  const end = bytes.byteLength
  let offset = 2
  let size: Size | undefined
  let sawScan = false

  while (offset < end) {
    if (bytes[offset] !== 0xff) return { error: 'JPEG has a malformed marker segment' }
    while (bytes[offset] === 0xff) offset++ // fill bytes
    if (offset >= end) break
    const marker = bytes[offset++] ?? 0

    if (marker === 0xd9) {
      if (!sawScan || !size) return { error: 'JPEG has no image data before EOI' }
      return hasOnlyPadding(bytes, offset) ? size : { error: 'JPEG has trailing data after EOI' }
    }
    if (isStandaloneMarker(marker)) continue
    if (marker === 0xd8 || marker === 0x00) return { error: 'JPEG has an unexpected marker' }

    if (offset + 2 > end) break
    const length = view.getUint16(offset)
    const segmentEnd = offset + length
    if (length < 2) return { error: 'JPEG has a malformed segment length' }
    if (segmentEnd > end) break

    if (isStartOfFrame(marker) && !size) {
      if (length < 8) return { error: 'JPEG frame header is too short' }
      size = { width: view.getUint16(offset + 5), height: view.getUint16(offset + 3) }
    }
    offset = segmentEnd

    if (marker === 0xda) {
      if (!size) return { error: 'JPEG has scan data before any frame header (SOF)' }
      sawScan = true
      const next = skipEntropyData(bytes, offset)
      if (next < 0) break
      offset = next
    }
  }
  return { error: 'JPEG is truncated: no EOI marker' }
}

/**
 * Returns the offset of the next real marker after entropy-coded data, or -1 if the data runs to
 * the end. Uses native indexOf to jump between 0xFF bytes instead of looping over every byte in JS.
 */
function skipEntropyData(bytes: Uint8Array, from: number) {
  let at = from
  for (;;) {
    at = bytes.indexOf(0xff, at)
    if (at < 0 || at + 1 >= bytes.byteLength) return -1
    const next = bytes[at + 1] ?? 0
    // Stuffed zero, restart markers and fill bytes all belong to the scan.
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) at += 2
    else if (next === 0xff) at += 1
    else return at
  }
}

function isStandaloneMarker(marker: number) {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)
}

/** SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
function isStartOfFrame(marker: number) {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc
}

/** Some encoders pad files with a few zero bytes; anything else after EOI is refused. */
function hasOnlyPadding(bytes: Uint8Array, from: number) {
  if (bytes.byteLength - from > JPEG_MAX_TRAILING_ZEROS) return false
  for (let i = from; i < bytes.byteLength; i++) if (bytes[i] !== 0) return false
  return true
}

// GIF: header + logical screen descriptor, optional global color table, then blocks: images
// (0x2C), extensions (0x21), each followed by data sub-blocks, and the trailer (0x3B) last.

function parseGif(bytes: Uint8Array, view: DataView): Parsed {
  const end = bytes.byteLength
  if (end < 13) return { error: 'GIF is truncated inside its header' }
  const size = { width: view.getUint16(6, true), height: view.getUint16(8, true) }
  let offset = 13 + colorTableLength(bytes[10] ?? 0)
  let sawImage = false

  while (offset < end) {
    const block = bytes[offset]
    if (block === 0x3b) {
      if (!sawImage) return { error: 'GIF contains no image' }
      return offset === end - 1 ? size : { error: 'GIF has trailing data after its trailer' }
    }
    if (block === 0x21) {
      offset = skipSubBlocks(bytes, offset + 2)
    } else if (block === 0x2c) {
      if (offset + 10 > end) break
      // Image descriptor, optional local color table, LZW minimum code size, then data.
      offset = skipSubBlocks(bytes, offset + 10 + colorTableLength(bytes[offset + 9] ?? 0) + 1)
      sawImage = true
    } else {
      return { error: 'GIF has an unknown block type' }
    }
    if (offset < 0) break
  }
  return { error: 'GIF is truncated: no trailer' }
}

function colorTableLength(packed: number) {
  return packed & 0x80 ? 3 * 2 ** ((packed & 0x07) + 1) : 0
}

/** Follows a chain of length-prefixed sub-blocks; returns the offset after the terminator or -1. */
function skipSubBlocks(bytes: Uint8Array, from: number) {
  let at = from
  while (at < bytes.byteLength) {
    const length = bytes[at] ?? 0
    at += 1 + length
    if (length === 0) return at
  }
  return -1
}

// BMP: 14-byte file header ("BM", file size, reserved, pixel offset), then a DIB header.

const BMP_FILE_HEADER = 14
const BI_RGB = 0
const BI_BITFIELDS = 3
const BMP_BIT_COUNTS = new Set([1, 2, 4, 8, 16, 24, 32])

function parseBmp(bytes: Uint8Array, view: DataView): Parsed {
  const end = bytes.byteLength
  if (view.getUint32(2, true) !== end) {
    return { error: 'BMP file size field does not match the file' }
  }
  const dibSize = view.getUint32(14, true)
  const pixelOffset = view.getUint32(10, true)
  if (BMP_FILE_HEADER + dibSize > end) return { error: 'BMP is truncated inside its header' }
  if (pixelOffset < BMP_FILE_HEADER + dibSize || pixelOffset >= end) {
    return { error: 'BMP pixel data offset is outside the file' }
  }

  const core = dibSize === 12
  const width = core ? view.getUint16(18, true) : view.getInt32(18, true)
  const signedHeight = core ? view.getUint16(20, true) : view.getInt32(22, true)
  const bitsPerPixel = view.getUint16(core ? 24 : 28, true)
  const compression = core ? BI_RGB : view.getUint32(30, true)
  // Negative height means rows are stored top-down; the image is just as tall.
  const height = Math.abs(signedHeight)
  if (width <= 0 || height === 0) return { error: 'BMP has a zero or negative width or height' }

  // Uncompressed rows are padded to 4 bytes; the pixel array must hold every row it declares.
  if (compression === BI_RGB || compression === BI_BITFIELDS) {
    if (!BMP_BIT_COUNTS.has(bitsPerPixel)) return { error: 'BMP has an invalid bit count' }
    const rowBytes = Math.ceil((width * bitsPerPixel) / 32) * 4
    if (rowBytes * height > end - pixelOffset) return { error: 'BMP pixel data is truncated' }
  }
  return { width, height }
}

// WebP: RIFF container; the first chunk (VP8, VP8L or VP8X) carries the size.

const VP8 = fourcc('VP8 ')
const VP8L = fourcc('VP8L')
const VP8X = fourcc('VP8X')
const RIFF_HEADER = 12

function parseWebp(bytes: Uint8Array, view: DataView): Parsed {
  const end = bytes.byteLength
  if (view.getUint32(4, true) + 8 !== end) {
    return { error: 'WebP RIFF length does not match the file' }
  }
  if (RIFF_HEADER + 8 > end) return { error: 'WebP has no image chunk' }

  const chunksOk = checkRiffChunks(view, end)
  if (chunksOk !== true) return chunksOk
  const type = view.getUint32(RIFF_HEADER)
  const payload = RIFF_HEADER + 8
  const length = view.getUint32(RIFF_HEADER + 4, true)
  if (type === VP8) return parseVp8(bytes, view, payload, length)
  if (type === VP8L) return parseVp8l(bytes, view, payload, length)
  if (type === VP8X) return parseVp8x(view, payload, length)
  return { error: 'WebP does not start with a VP8, VP8L or VP8X chunk' }
}

/** Every chunk must fit, and the last one must end (with its pad byte, if any) at the file end. */
function checkRiffChunks(view: DataView, end: number): true | { error: string } {
  let offset = RIFF_HEADER
  while (offset + 8 <= end) {
    const chunkEnd = offset + 8 + view.getUint32(offset + 4, true)
    if (chunkEnd > end) return { error: 'WebP is truncated: a chunk does not fit in the file' }
    if (chunkEnd === end) return true
    offset = chunkEnd + (chunkEnd & 1)
  }
  return offset === end ? true : { error: 'WebP has a truncated chunk header' }
}

function parseVp8(bytes: Uint8Array, view: DataView, at: number, length: number): Parsed {
  if (length < 10) return { error: 'WebP VP8 chunk is too short' }
  const keyFrame = ((bytes[at] ?? 1) & 1) === 0
  const startCode = bytes[at + 3] === 0x9d && bytes[at + 4] === 0x01 && bytes[at + 5] === 0x2a
  if (!keyFrame || !startCode) return { error: 'WebP VP8 frame header is invalid' }
  return {
    width: view.getUint16(at + 6, true) & 0x3fff,
    height: view.getUint16(at + 8, true) & 0x3fff,
  }
}

function parseVp8l(bytes: Uint8Array, view: DataView, at: number, length: number): Parsed {
  if (length < 5 || bytes[at] !== 0x2f) return { error: 'WebP VP8L header is invalid' }
  const bits = view.getUint32(at + 1, true)
  if (bits >>> 29 !== 0) return { error: 'WebP VP8L version is unknown' }
  return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 }
}

function parseVp8x(view: DataView, at: number, length: number): Parsed {
  if (length < 10) return { error: 'WebP VP8X chunk is too short' }
  return { width: readU24LE(view, at + 4) + 1, height: readU24LE(view, at + 7) + 1 }
}

// Byte helpers

function ascii(text: string) {
  return Array.from(text, (c) => c.charCodeAt(0))
}

function fourcc(text: string) {
  return ascii(text).reduce((acc, c) => acc * 256 + c, 0)
}

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0) {
  if (bytes.byteLength < at + prefix.length) return false
  return prefix.every((b, i) => bytes[at + i] === b)
}

function readU24LE(view: DataView, at: number) {
  return view.getUint16(at, true) | (view.getUint8(at + 2) << 16)
}

/**
 * Identifies an image by its bytes alone (never by file name or Content-Type) and checks that its
 * container structure is whole. Runs on every upload, so it only walks headers and chunk/segment
 * boundaries through a DataView: no copies, no pixel decoding. Every frame, SOF and bitstream
 * header is checked against the limits as it is met, and must fit the canvas, so the walk stops
 * at the first one over a limit; the walk is one pass, linear in the file size.
 */
import { FrameBudget, type ImageLimits, NO_IMAGE_LIMITS, type OverLimit } from './frame-budget'

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'bmp' | 'webp'

export interface ImageInfo {
  format: ImageFormat
  mimetype: string
  extension: string
  width: number
  height: number
  /** Frames of an animation; 1 for a still image. */
  frames: number
}

export type InspectResult =
  | { ok: true; info: ImageInfo }
  | { ok: false; reason: 'unsupported' | 'corrupt' | 'dimensions'; message: string }

/** The type of bytes not yet sniffed (adopted rows before `bun run backfill`). */
export const UNKNOWN_TYPE = 'application/octet-stream'
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
/** What is broken, or which limit the image goes over, in one sentence. */
type Failure = { error: string } | OverLimit
/** A parser either finds the canvas size or says what is wrong. */
type Parsed = Size | Failure
type Parser = (bytes: Uint8Array, view: DataView, budget: FrameBudget) => Parsed

const UNSUPPORTED_MESSAGE = 'File is not a supported image (PNG, JPEG, GIF, BMP or WebP)'

/** Without limits, every declared size is returned as it is (the limits are then the caller's). */
export function inspectImage(
  bytes: Uint8Array,
  limits: ImageLimits = NO_IMAGE_LIMITS,
): InspectResult {
  if (bytes.byteLength === 0) return { ok: false, reason: 'unsupported', message: 'File is empty' }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const format = sniffFormat(bytes, view)
  if (!format) return { ok: false, reason: 'unsupported', message: UNSUPPORTED_MESSAGE }

  const budget = new FrameBudget(limits)
  const parsed = PARSERS[format](bytes, view, budget)
  if ('error' in parsed) {
    const reason = 'overLimit' in parsed ? 'dimensions' : 'corrupt'
    return { ok: false, reason, message: parsed.error }
  }
  if (parsed.width <= 0 || parsed.height <= 0) {
    return { ok: false, reason: 'corrupt', message: `${LABELS[format]} has a zero width or height` }
  }
  const { width, height } = parsed
  return { ok: true, info: { ...formatEntry(format), width, height, frames: budget.frames } }
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

/** The format by its signature alone (no structure check); undefined when none matches. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  return sniffFormat(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength))
}

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
// APNG adds acTL (frame count, before IDAT) and one fcTL per frame.

const PNG_MAX_U31 = 0x7fffffff
const IHDR = fourcc('IHDR')
const IDAT = fourcc('IDAT')
const IEND = fourcc('IEND')
const ACTL = fourcc('acTL')
const FCTL = fourcc('fcTL')

function parsePng(bytes: Uint8Array, view: DataView, budget: FrameBudget): Parsed {
  const end = bytes.byteLength
  let offset = PNG_SIGNATURE.length
  let size: Size | undefined
  let sawData = false
  let declaredFrames: number | undefined
  let frameControls = 0

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
      const over = budget.canvas(size.width, size.height)
      if (over) return over
    } else if (type === IHDR) {
      return { error: 'PNG has more than one IHDR chunk' }
    } else if (type === ACTL) {
      if (declaredFrames !== undefined || sawData || length !== 8) {
        return { error: 'APNG has a misplaced, repeated or malformed acTL chunk' }
      }
      declaredFrames = view.getUint32(dataStart)
      if (declaredFrames === 0) return { error: 'APNG declares zero frames' }
      const over = budget.declared(declaredFrames)
      if (over) return over
    } else if (type === FCTL) {
      frameControls++
      const problem = checkFrameControl(
        view,
        dataStart,
        length,
        size,
        frameControls,
        sawData,
        budget,
      )
      if (problem) return problem
    } else if (type === IDAT) {
      // A default image outside the animation (no fcTL before it) is decoded too: one more frame.
      if (!sawData && frameControls === 0) {
        const over = budget.frame('PNG image', size.width, size.height)
        if (over) return over
      }
      sawData = true
    } else if (type === IEND) {
      if (!sawData) return { error: 'PNG has no image data (IDAT)' }
      if (dataEnd + 4 !== end) return { error: 'PNG has trailing data after IEND' }
      if (declaredFrames !== undefined && declaredFrames !== frameControls) {
        return { error: `APNG declares ${declaredFrames} frames but has ${frameControls}` }
      }
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

/** fcTL: sequence, width, height, x and y offsets (u32 each), delay, dispose and blend ops. */
function checkFrameControl(
  view: DataView,
  at: number,
  length: number,
  canvas: Size,
  index: number,
  sawData: boolean,
  budget: FrameBudget,
): Failure | undefined {
  const label = `APNG frame ${index}`
  if (length !== 26) return { error: `${label} has a malformed fcTL chunk` }
  const width = view.getUint32(at + 4)
  const height = view.getUint32(at + 8)
  const x = view.getUint32(at + 12)
  const y = view.getUint32(at + 16)
  const over = budget.frame(label, width, height)
  if (over) return over
  if (width === 0 || height === 0) return { error: `${label} has a zero width or height` }
  const outside = outsideCanvas(label, { width, height }, x, y, canvas)
  if (outside) return outside
  // A frame that is also the default image (fcTL before IDAT) must be the whole canvas.
  if (
    index === 1 &&
    !sawData &&
    (x !== 0 || y !== 0 || width !== canvas.width || height !== canvas.height)
  ) {
    return { error: `${label} is the default image but does not cover the whole canvas` }
  }
  return undefined
}

/** A frame at (x, y) must lie wholly inside the canvas. */
function outsideCanvas(label: string, frame: Size, x: number, y: number, canvas: Size) {
  if (x + frame.width <= canvas.width && y + frame.height <= canvas.height) return undefined
  return {
    error: `${label} (${frame.width}x${frame.height} at ${x},${y}) does not fit the ${canvas.width}x${canvas.height} canvas`,
  }
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
// either more segments (progressive/multi-scan) or EOI. One frame (SOF) per file.

const JPEG_MAX_TRAILING_ZEROS = 16
/** Each progressive scan is a pass over the whole image; libjpeg-turbo suggests a cap of 500. */
export const JPEG_MAX_SCANS = 500

function parseJpeg(bytes: Uint8Array, view: DataView, budget: FrameBudget): Parsed {
  const end = bytes.byteLength
  let offset = 2
  let size: Size | undefined
  let scans = 0
  let frameHeaders = 0

  while (offset < end) {
    if (bytes[offset] !== 0xff) return { error: 'JPEG has a malformed marker segment' }
    while (bytes[offset] === 0xff) offset++ // fill bytes
    if (offset >= end) break
    const marker = bytes[offset++] ?? 0

    if (marker === 0xd9) {
      if (scans === 0 || !size) return { error: 'JPEG has no image data before EOI' }
      return hasOnlyPadding(bytes, offset) ? size : { error: 'JPEG has trailing data after EOI' }
    }
    if (isStandaloneMarker(marker)) continue
    if (marker === 0xd8 || marker === 0x00) return { error: 'JPEG has an unexpected marker' }

    if (offset + 2 > end) break
    const length = view.getUint16(offset)
    const segmentEnd = offset + length
    if (length < 2) return { error: 'JPEG has a malformed segment length' }
    if (segmentEnd > end) break

    if (isStartOfFrame(marker)) {
      if (length < 8) return { error: 'JPEG frame header is too short' }
      const width = view.getUint16(offset + 5)
      const height = view.getUint16(offset + 3)
      // Every SOF is held to the limits, then a second one is refused: decoders disagree on it.
      if (++frameHeaders > 1) {
        return (
          budget.size(`JPEG frame header ${frameHeaders}`, width, height) ?? {
            error: 'JPEG has more than one frame header (SOF)',
          }
        )
      }
      size = { width, height }
      const over = budget.still(width, height)
      if (over) return over
    }
    offset = segmentEnd

    if (marker === 0xda) {
      if (!size) return { error: 'JPEG has scan data before any frame header (SOF)' }
      if (++scans > JPEG_MAX_SCANS) return { error: `JPEG has more than ${JPEG_MAX_SCANS} scans` }
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

function parseGif(bytes: Uint8Array, view: DataView, budget: FrameBudget): Parsed {
  const end = bytes.byteLength
  if (end < 13) return { error: 'GIF is truncated inside its header' }
  const size = { width: view.getUint16(6, true), height: view.getUint16(8, true) }
  const over = budget.canvas(size.width, size.height)
  if (over) return over
  let offset = 13 + colorTableLength(bytes[10] ?? 0)
  let frames = 0

  while (offset < end) {
    const block = bytes[offset]
    if (block === 0x3b) {
      if (frames === 0) return { error: 'GIF contains no image' }
      return offset === end - 1 ? size : { error: 'GIF has trailing data after its trailer' }
    }
    if (block === 0x21) {
      offset = skipSubBlocks(bytes, offset + 2)
    } else if (block === 0x2c) {
      if (offset + 10 > end) break
      const problem = checkGifFrame(view, offset, ++frames, size, budget)
      if (problem) return problem
      // Image descriptor, optional local color table, LZW minimum code size, then data.
      offset = skipSubBlocks(bytes, offset + 10 + colorTableLength(bytes[offset + 9] ?? 0) + 1)
    } else {
      return { error: 'GIF has an unknown block type' }
    }
    if (offset < 0) break
  }
  return { error: 'GIF is truncated: no trailer' }
}

/** Image descriptor: separator, left, top, width, height (u16 LE each), packed fields. */
function checkGifFrame(
  view: DataView,
  at: number,
  index: number,
  screen: Size,
  budget: FrameBudget,
) {
  const label = `GIF frame ${index}`
  const width = view.getUint16(at + 5, true)
  const height = view.getUint16(at + 7, true)
  return (
    budget.frame(label, width, height) ??
    outsideCanvas(
      label,
      { width, height },
      view.getUint16(at + 1, true),
      view.getUint16(at + 3, true),
      screen,
    )
  )
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

function parseBmp(bytes: Uint8Array, view: DataView, budget: FrameBudget): Parsed {
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
  const over = budget.still(width, height)
  if (over) return over

  // Uncompressed rows are padded to 4 bytes; the pixel array must hold every row it declares.
  if (compression === BI_RGB || compression === BI_BITFIELDS) {
    if (!BMP_BIT_COUNTS.has(bitsPerPixel)) return { error: 'BMP has an invalid bit count' }
    const rowBytes = Math.ceil((width * bitsPerPixel) / 32) * 4
    if (rowBytes * height > end - pixelOffset) return { error: 'BMP pixel data is truncated' }
  }
  return { width, height }
}

// WebP: RIFF container of chunks. The simple formats hold one VP8 (lossy) or VP8L (lossless)
// bitstream; the extended format starts with a VP8X canvas, then either one bitstream of exactly
// the canvas size, or (animation flag) ANMF frames, each placed on the canvas around its own
// bitstream of the frame's size.

const VP8 = fourcc('VP8 ')
const VP8L = fourcc('VP8L')
const VP8X = fourcc('VP8X')
const ANMF = fourcc('ANMF')
const RIFF_HEADER = 12
const VP8X_ANIMATION = 0x02

type Chunk = { type: number; at: number; length: number }
type WebpState = { canvas?: Size; animated: boolean; images: number; frames: number }

function parseWebp(bytes: Uint8Array, view: DataView, budget: FrameBudget): Parsed {
  const end = bytes.byteLength
  if (view.getUint32(4, true) + 8 !== end) {
    return { error: 'WebP RIFF length does not match the file' }
  }
  if (RIFF_HEADER + 8 > end) return { error: 'WebP has no image chunk' }

  const state: WebpState = { animated: false, images: 0, frames: 0 }
  for (let offset = RIFF_HEADER, index = 0; offset < end; index++) {
    const next = afterChunk(view, offset, end)
    if (typeof next !== 'number') return next
    const type = view.getUint32(offset)
    // Metadata and unknown chunks after the first need no look (a flood of them stays cheap).
    if (index === 0 || type === VP8 || type === VP8L || type === VP8X || type === ANMF) {
      const chunk = { type, at: offset + 8, length: view.getUint32(offset + 4, true) }
      const problem = checkWebpChunk(bytes, view, chunk, index, state, budget)
      if (problem) return problem
    }
    offset = next
  }
  const { canvas, animated } = state
  if (!canvas) return { error: 'WebP has no image chunk' }
  if (animated && state.frames === 0) return { error: 'Animated WebP has no frames (ANMF)' }
  if (!animated && state.images === 0) {
    return { error: 'WebP has no image bitstream (VP8 or VP8L)' }
  }
  return canvas
}

/**
 * The offset after the chunk at `offset` (its pad byte too, which the last chunk may omit), or
 * what is wrong when its header or data does not fit before `end`.
 */
function afterChunk(view: DataView, offset: number, end: number): number | Failure {
  if (offset + 8 > end) return { error: 'WebP has a truncated chunk header' }
  const dataEnd = offset + 8 + view.getUint32(offset + 4, true)
  if (dataEnd > end) return { error: 'WebP is truncated: a chunk does not fit in the file' }
  return dataEnd === end ? end : dataEnd + (dataEnd & 1)
}

function checkWebpChunk(
  bytes: Uint8Array,
  view: DataView,
  chunk: Chunk,
  index: number,
  state: WebpState,
  budget: FrameBudget,
): Failure | undefined {
  if (index === 0 && chunk.type === VP8X) {
    if (chunk.length < 10) return { error: 'WebP VP8X chunk is too short' }
    state.animated = ((bytes[chunk.at] ?? 0) & VP8X_ANIMATION) !== 0
    const width = readU24LE(view, chunk.at + 4) + 1
    const height = readU24LE(view, chunk.at + 7) + 1
    state.canvas = { width, height }
    return budget.canvas(width, height)
  }
  if (chunk.type === VP8 || chunk.type === VP8L) {
    if (state.animated) return { error: 'Animated WebP has an image outside its frames (ANMF)' }
    if (++state.images > 1) return { error: 'WebP has more than one image bitstream' }
    const size = parseBitstream(bytes, view, chunk)
    if ('error' in size) return size
    if (!state.canvas) {
      state.canvas = size // the simple format: the bitstream is the canvas
      return budget.still(size.width, size.height)
    }
    return (
      budget.frame('WebP bitstream', size.width, size.height) ??
      differentSize('WebP bitstream', size, 'VP8X canvas', state.canvas)
    )
  }
  if (!state.canvas) return { error: 'WebP does not start with a VP8, VP8L or VP8X chunk' }
  if (chunk.type === VP8X) return { error: 'WebP has a VP8X chunk after its first chunk' }
  if (chunk.type === ANMF) {
    if (!state.animated) {
      return { error: 'WebP has an animation frame (ANMF) but no animation flag' }
    }
    return checkAnimationFrame(bytes, view, chunk, ++state.frames, state.canvas, budget)
  }
  return undefined
}

/** ANMF: x/2, y/2, width-1, height-1 (u24 LE each), duration, flags, then the frame's chunks. */
function checkAnimationFrame(
  bytes: Uint8Array,
  view: DataView,
  chunk: Chunk,
  index: number,
  canvas: Size,
  budget: FrameBudget,
): Failure | undefined {
  const label = `WebP frame ${index}`
  if (chunk.length < 16) return { error: `${label} has a malformed ANMF chunk` }
  const x = readU24LE(view, chunk.at) * 2
  const y = readU24LE(view, chunk.at + 3) * 2
  const frame = {
    width: readU24LE(view, chunk.at + 6) + 1,
    height: readU24LE(view, chunk.at + 9) + 1,
  }
  const placed =
    budget.frame(label, frame.width, frame.height) ?? outsideCanvas(label, frame, x, y, canvas)
  if (placed) return placed

  // The frame's own chunks: ALPH and unknown ones are skipped, one VP8 or VP8L is required.
  let bitstream: Size | undefined
  const end = chunk.at + chunk.length
  for (let offset = chunk.at + 16; offset < end; ) {
    const next = afterChunk(view, offset, end)
    if (typeof next !== 'number') return next
    const inner = {
      type: view.getUint32(offset),
      at: offset + 8,
      length: view.getUint32(offset + 4, true),
    }
    offset = next
    if (inner.type !== VP8 && inner.type !== VP8L) continue
    if (bitstream) return { error: `${label} has more than one image bitstream` }
    const size = parseBitstream(bytes, view, inner)
    if ('error' in size) return size
    const what = `${label} bitstream`
    const problem =
      budget.size(what, size.width, size.height) ?? differentSize(what, size, label, frame)
    if (problem) return problem
    bitstream = size
  }
  return bitstream ? undefined : { error: `${label} has no image bitstream` }
}

function differentSize(what: string, size: Size, container: string, expected: Size) {
  if (size.width === expected.width && size.height === expected.height) return undefined
  return {
    error: `${what} is ${size.width}x${size.height} but the ${container} is ${expected.width}x${expected.height}`,
  }
}

function parseBitstream(bytes: Uint8Array, view: DataView, chunk: Chunk): Parsed {
  return chunk.type === VP8
    ? parseVp8(bytes, view, chunk.at, chunk.length)
    : parseVp8l(bytes, view, chunk.at, chunk.length)
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

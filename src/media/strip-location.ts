/**
 * Removes location data from an image's metadata without touching its pixel data: the GPS IFD
 * of EXIF is emptied in place (JPEG APP1, PNG eXIf, WebP EXIF), XMP packets that mention GPS are
 * dropped whole (JPEG APP1, PNG iTXt, WebP XMP). Returns the input itself when there was nothing
 * to remove, so callers can tell "had location" from "did not".
 */
import type { ImageFormat } from './inspect'
import { riffChunks, tiffStart } from './riff'

export function stripLocation(bytes: Uint8Array, format: ImageFormat): Uint8Array {
  if (format === 'jpeg') return stripJpeg(bytes)
  if (format === 'png') return stripPng(bytes)
  if (format === 'webp') return stripWebp(bytes)
  return bytes // GIF and BMP carry no EXIF
}

const GPS_IFD_TAG = 0x8825
const TYPE_SIZES: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
}

/**
 * Zeroes every entry of the GPS IFD of the TIFF structure in `bytes[start, end)` and their
 * out-of-line values, leaving an empty IFD. Offsets stay valid: nothing moves. True if changed.
 */
function blankGps(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start < 8) return false
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, end - start)
  const order = view.getUint16(0)
  if (order !== 0x4949 && order !== 0x4d4d) return false
  const le = order === 0x4949
  const size = end - start
  const ifd0 = view.getUint32(4, le)
  if (ifd0 + 2 > size) return false
  const entries = view.getUint16(ifd0, le)
  let gps = 0
  for (let i = 0; i < entries; i++) {
    const at = ifd0 + 2 + i * 12
    if (at + 12 > size) return false
    if (view.getUint16(at, le) === GPS_IFD_TAG) gps = view.getUint32(at + 8, le)
  }
  if (!gps || gps + 2 > size) return false
  const count = view.getUint16(gps, le)
  if (count === 0) return false
  const tableEnd = Math.min(size, gps + 2 + count * 12 + 4)
  for (let i = 0; i < count; i++) {
    const at = gps + 2 + i * 12
    if (at + 12 > size) break
    const length = (TYPE_SIZES[view.getUint16(at + 2, le)] ?? 1) * view.getUint32(at + 4, le)
    if (length > 4) {
      const valueAt = view.getUint32(at + 8, le)
      if (valueAt + length <= size) bytes.fill(0, start + valueAt, start + valueAt + length)
    }
  }
  // Entry count 0, entries and next-IFD pointer zeroed: a valid, empty IFD.
  bytes.fill(0, start + gps, start + tableEnd)
  return true
}

const latin1 = (bytes: Uint8Array, from: number, to: number) =>
  Buffer.from(bytes.buffer, bytes.byteOffset + from, Math.max(0, to - from)).toString('latin1')
const mentionsGps = (text: string) => /gps/i.test(text)

const EXIF_HEADER = 'Exif\0\0'
const XMP_HEADERS = ['http://ns.adobe.com/xap/1.0/\0', 'http://ns.adobe.com/xmp/extension/\0']

function stripJpeg(input: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(input) // a copy at offset 0 (Buffer#slice would not copy)
  const view = new DataView(bytes.buffer)
  const drop: [number, number][] = []
  let changed = false
  let at = 2
  while (at + 4 <= bytes.byteLength && bytes[at] === 0xff) {
    const marker = bytes[at + 1] ?? 0
    if (marker === 0xda || marker === 0xd9) break // start of scan: metadata is all before it
    if (marker === 0xff) {
      at++
      continue
    }
    const length = view.getUint16(at + 2)
    const payload = at + 4
    const end = at + 2 + length
    if (marker === 0xe1 && end <= bytes.byteLength) {
      if (latin1(bytes, payload, payload + 6) === EXIF_HEADER) {
        changed = blankGps(bytes, payload + 6, end) || changed
      } else if (
        XMP_HEADERS.some((h) => latin1(bytes, payload, payload + h.length) === h) &&
        mentionsGps(latin1(bytes, payload, end))
      ) {
        drop.push([at, end])
      }
    }
    at = end
  }
  if (drop.length === 0) return changed ? bytes : input
  return without(bytes, drop)
}

const PNG_XMP_KEYWORD = 'XML:com.adobe.xmp'

function stripPng(input: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(input) // a copy at offset 0 (Buffer#slice would not copy)
  const view = new DataView(bytes.buffer)
  const drop: [number, number][] = []
  let changed = false
  let at = 8
  while (at + 12 <= bytes.byteLength) {
    const length = view.getUint32(at)
    const type = latin1(bytes, at + 4, at + 8)
    const data = at + 8
    const end = data + length + 4
    if (type === 'eXIf') {
      if (blankGps(bytes, tiffStart(bytes, data), data + length)) {
        view.setUint32(data + length, Bun.hash.crc32(bytes.subarray(at + 4, data + length)))
        changed = true
      }
    } else if (type === 'iTXt' || type === 'tEXt' || type === 'zTXt') {
      const nul = bytes.subarray(data, data + length).indexOf(0)
      const keyword = latin1(bytes, data, nul < 0 ? data : data + nul)
      // A compressed XMP packet cannot be searched here: it is dropped as if it had a location.
      const compressed =
        type === 'zTXt' || (type === 'iTXt' && bytes[data + keyword.length + 1] === 1)
      if (
        keyword === PNG_XMP_KEYWORD &&
        (compressed || mentionsGps(latin1(bytes, data, data + length)))
      ) {
        drop.push([at, end])
      }
    } else if (type === 'IDAT' || type === 'IEND') {
      break
    }
    at = end
  }
  if (drop.length === 0) return changed ? bytes : input
  return without(bytes, drop)
}

const VP8X_XMP_FLAG = 0x04

function stripWebp(input: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(input) // a copy at offset 0 (Buffer#slice would not copy)
  const drop: [number, number][] = []
  let changed = false
  let vp8x: number | undefined
  for (const chunk of riffChunks(bytes)) {
    const end = chunk.payload + chunk.length
    if (chunk.type === 'VP8X') vp8x = chunk.payload
    if (chunk.type === 'EXIF') {
      changed = blankGps(bytes, tiffStart(bytes, chunk.payload), end) || changed
    } else if (chunk.type === 'XMP ' && mentionsGps(latin1(bytes, chunk.payload, end))) {
      drop.push([chunk.at, end + (chunk.length & 1)])
    }
  }
  if (drop.length === 0) return changed ? bytes : input
  if (vp8x !== undefined) bytes[vp8x] = (bytes[vp8x] ?? 0) & ~VP8X_XMP_FLAG
  const out = without(bytes, drop)
  new DataView(out.buffer).setUint32(4, out.byteLength - 8, true)
  return out
}

/** `bytes` with the given [start, end) ranges (in order, not overlapping) cut out. */
function without(bytes: Uint8Array, ranges: [number, number][]) {
  const removed = ranges.reduce((n, [s, e]) => n + (e - s), 0)
  const out = new Uint8Array(bytes.byteLength - removed)
  let from = 0
  let to = 0
  for (const [s, e] of ranges) {
    out.set(bytes.subarray(from, s), to)
    to += s - from
    from = e
  }
  out.set(bytes.subarray(from), to)
  return out
}

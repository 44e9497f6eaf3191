/**
 * Animated images and the inner headers of stills, built in code: real, decodable animations
 * within the limits, and the pixel-bomb and frame-bomb shapes that only declare sizes and frames
 * (an inner size over the limits, a frame off the canvas, a flood of frames). Deterministic.
 */
import { deflateSync } from 'node:zlib'
import {
  concat,
  GIF_MIN_CODE_SIZE,
  gifLzw,
  gifSubBlocks,
  latin1,
  pngChunk,
  riff,
  vp8lBitstream,
  webpChunk,
  writeU24LE,
} from './images'

/** A frame placed on the canvas at (x, y), the top left by default. */
export type Frame = { width: number; height: number; x?: number; y?: number }

/** `pixels: false` writes frames without pixel data: sizes only, the shape of a bomb. */
export type FrameOptions = { pixels?: boolean }

// GIF

const GIF_PALETTE = new Uint8Array([0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0, 255])
const GIF_TRAILER = new Uint8Array([0x3b])

/** GIF89a that loops forever: a NETSCAPE extension, then per frame a control block and an image. */
export function makeAnimatedGif(
  width: number,
  height: number,
  frames: Frame[],
  opts: FrameOptions = {},
): Uint8Array {
  const netscapeLoop = concat([
    new Uint8Array([0x21, 0xff, 11]),
    latin1('NETSCAPE2.0'),
    new Uint8Array([3, 1, 0, 0, 0]),
  ])
  const blocks = frames.map((frame, i) =>
    concat([
      new Uint8Array([0x21, 0xf9, 4, 0x04, 10, 0, 0, 0]), // keep the frame, 0.1 s
      gifImage(frame, opts.pixels === false ? [] : stripes(frame, i)),
    ]),
  )
  return concat([gifHeader(width, height), netscapeLoop, ...blocks, GIF_TRAILER])
}

/**
 * `count` copies of one frame without pixels (14 bytes each), written with `copyWithin` so a
 * flood of 300,000 frames takes no per-frame work in the fixture.
 */
export function gifFrameFlood(
  screen: { width: number; height: number },
  frame: Frame,
  count: number,
): Uint8Array {
  const header = gifHeader(screen.width, screen.height)
  const one = gifImage(frame, [])
  const out = new Uint8Array(header.byteLength + one.byteLength * count + 1)
  out.set(header)
  out.set(one, header.byteLength)
  for (let filled = 1; filled < count; filled *= 2) {
    const copy = Math.min(filled, count - filled) * one.byteLength
    const from = header.byteLength
    out.copyWithin(from + filled * one.byteLength, from, from + copy)
  }
  out[out.byteLength - 1] = 0x3b
  return out
}

function gifHeader(width: number, height: number) {
  const header = new Uint8Array(13)
  const view = new DataView(header.buffer)
  header.set(latin1('GIF89a'))
  view.setUint16(6, width, true)
  view.setUint16(8, height, true)
  header[10] = 0x91 // global color table of 4 entries
  return concat([header, GIF_PALETTE])
}

function gifImage(frame: Frame, indices: number[]) {
  const descriptor = new Uint8Array(10)
  const view = new DataView(descriptor.buffer)
  descriptor[0] = 0x2c
  view.setUint16(1, frame.x ?? 0, true)
  view.setUint16(3, frame.y ?? 0, true)
  view.setUint16(5, frame.width, true)
  view.setUint16(7, frame.height, true)
  return concat([descriptor, new Uint8Array([GIF_MIN_CODE_SIZE]), gifSubBlocks(gifLzw(indices))])
}

/** Palette indices of diagonal stripes that shift with the frame, so every frame differs. */
function stripes(frame: Frame, shift: number) {
  return Array.from({ length: frame.width * frame.height }, (_, i) => {
    const x = i % frame.width
    const y = Math.floor(i / frame.width)
    return (x + y + shift) & 3
  })
}

// APNG

/**
 * APNG: IHDR, acTL, the first frame as the default image (fcTL + IDAT), each later frame as
 * fcTL + fdAT. `declaredFrames` overrides the count acTL declares; `hiddenDefault` leaves the
 * default image out of the animation (no fcTL before IDAT).
 */
export function makeApng(
  width: number,
  height: number,
  frames: Frame[],
  opts: FrameOptions & { declaredFrames?: number; hiddenDefault?: boolean } = {},
): Uint8Array {
  let sequence = 0
  const animated = opts.hiddenDefault ? frames.length - 1 : frames.length
  const chunks = [
    pngChunk('IHDR', ihdr(width, height)),
    pngChunk('acTL', actl(opts.declaredFrames ?? animated)),
  ]
  frames.forEach((frame, i) => {
    if (i > 0 || !opts.hiddenDefault) chunks.push(pngChunk('fcTL', fctl(sequence++, frame)))
    const data = opts.pixels === false ? deflateSync(new Uint8Array(1)) : apngPixels(frame, i)
    if (i === 0) chunks.push(pngChunk('IDAT', data))
    else chunks.push(pngChunk('fdAT', concat([u32(sequence++), data])))
  })
  chunks.push(pngChunk('IEND', new Uint8Array(0)))
  return concat([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks])
}

function ihdr(width: number, height: number) {
  const data = new Uint8Array(13)
  const view = new DataView(data.buffer)
  view.setUint32(0, width)
  view.setUint32(4, height)
  data.set([8, 2, 0, 0, 0], 8) // 8-bit truecolor, no interlace
  return data
}

function actl(frames: number) {
  return concat([u32(frames), u32(0)]) // frame count, loop forever
}

function fctl(sequence: number, frame: Frame) {
  const data = new Uint8Array(26)
  const view = new DataView(data.buffer)
  view.setUint32(0, sequence)
  view.setUint32(4, frame.width)
  view.setUint32(8, frame.height)
  view.setUint32(12, frame.x ?? 0)
  view.setUint32(16, frame.y ?? 0)
  view.setUint16(20, 1) // delay 1/10 s
  view.setUint16(22, 10)
  return data // dispose and blend: none, source
}

/** Truecolor rows (filter byte 0 first) of a color that changes with the frame. */
function apngPixels(frame: Frame, index: number) {
  const stride = 1 + frame.width * 3
  const rows = new Uint8Array(stride * frame.height)
  for (let y = 0; y < frame.height; y++) {
    for (let x = 0; x < frame.width; x++) {
      rows.set([(index * 60) & 0xff, (x * 20) & 0xff, (y * 20) & 0xff], y * stride + 1 + x * 3)
    }
  }
  return deflateSync(rows)
}

function u32(value: number) {
  const bytes = new Uint8Array(4)
  new DataView(bytes.buffer).setUint32(0, value)
  return bytes
}

// WebP

/** The bitstream inside a WebP chunk: lossless VP8L (decodable), or a lossy VP8 frame header. */
export type Bitstream = { codec: 'VP8L' | 'VP8'; width: number; height: number }

/** A VP8 or VP8L chunk of the given size. VP8 is its 10-byte key frame header only. */
export function webpBitstream({ codec, width, height }: Bitstream): Uint8Array {
  if (codec === 'VP8L') return webpChunk('VP8L', vp8lBitstream(width, height))
  const header = new Uint8Array(10)
  const view = new DataView(header.buffer)
  header.set([0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a]) // key frame tag and start code
  view.setUint16(6, width, true)
  view.setUint16(8, height, true)
  return webpChunk('VP8 ', header)
}

/** Simple-format WebP: one bitstream chunk, then any `more` chunks. */
export function makeSimpleWebp(bitstream: Bitstream, ...more: Uint8Array[]): Uint8Array {
  return riff([webpBitstream(bitstream), ...more])
}

/** Extended still WebP: a VP8X canvas (no animation flag) around any chunks. */
export function makeWebpStill(width: number, height: number, ...chunks: Uint8Array[]): Uint8Array {
  return riff([vp8x(width, height, 0), ...chunks])
}

/**
 * Animated WebP: VP8X with the animation flag, ANIM, then one ANMF per frame around a lossless
 * bitstream of the frame's size, or around `inner` when given (a bitstream that lies); then
 * any `more` chunks.
 */
export function makeAnimatedWebp(
  width: number,
  height: number,
  frames: (Frame & { inner?: Bitstream })[],
  ...more: Uint8Array[]
): Uint8Array {
  const anim = new Uint8Array(6) // background color 0, loop forever
  return riff([
    vp8x(width, height, 0x02),
    webpChunk('ANIM', anim),
    ...frames.map((frame) => anmf(frame, frame.inner ?? { codec: 'VP8L', ...frame })),
    ...more,
  ])
}

/** One ANMF chunk: offsets halved, sizes minus one (u24 each), a 100 ms duration, no flags. */
export function anmf(frame: Frame, inner: Bitstream): Uint8Array {
  const header = new Uint8Array(16)
  writeU24LE(header, 0, Math.floor((frame.x ?? 0) / 2))
  writeU24LE(header, 3, Math.floor((frame.y ?? 0) / 2))
  writeU24LE(header, 6, frame.width - 1)
  writeU24LE(header, 9, frame.height - 1)
  writeU24LE(header, 12, 100)
  return webpChunk('ANMF', concat([header, webpBitstream(inner)]))
}

function vp8x(width: number, height: number, flags: number) {
  const header = new Uint8Array(10)
  header[0] = flags
  writeU24LE(header, 4, width - 1)
  writeU24LE(header, 7, height - 1)
  return webpChunk('VP8X', header)
}

// JPEG

const SOF_MARKERS = new Set([
  0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf,
])

/** The same JPEG with its frame header turned into `marker` (0xC2: progressive) and resized. */
export function withFrameHeader(
  jpeg: Uint8Array,
  marker: number,
  width: number,
  height: number,
): Uint8Array {
  const copy = jpeg.slice()
  const at = frameHeaderAt(copy)
  copy[at + 1] = marker
  const view = new DataView(copy.buffer)
  view.setUint16(at + 5, height)
  view.setUint16(at + 7, width)
  return copy
}

/** A second frame header (a copy of the first, resized) right after the first. */
export function withSecondFrameHeader(jpeg: Uint8Array, width: number, height: number): Uint8Array {
  const at = frameHeaderAt(jpeg)
  const end = at + 2 + ((jpeg[at + 2] ?? 0) << 8) + (jpeg[at + 3] ?? 0)
  const second = withFrameHeader(jpeg, jpeg[at + 1] ?? 0xc0, width, height).subarray(at, end)
  return concat([jpeg.subarray(0, end), second, jpeg.subarray(end)])
}

/** `extra` more scans before EOI, each a copy of the first SOS header and one byte of data. */
export function withExtraScans(jpeg: Uint8Array, extra: number): Uint8Array {
  const sos = markerAt(jpeg, (m) => m === 0xda)
  const sosEnd = sos + 2 + ((jpeg[sos + 2] ?? 0) << 8) + (jpeg[sos + 3] ?? 0)
  const scan = concat([jpeg.subarray(sos, sosEnd), new Uint8Array([0x00])])
  const scans = Array.from({ length: extra }, () => scan)
  return concat([jpeg.subarray(0, jpeg.byteLength - 2), ...scans, new Uint8Array([0xff, 0xd9])])
}

function frameHeaderAt(jpeg: Uint8Array) {
  return markerAt(jpeg, (m) => SOF_MARKERS.has(m))
}

/** Walks the marker segments before the first scan (jpeg-js output has no fill bytes). */
function markerAt(jpeg: Uint8Array, wanted: (marker: number) => boolean) {
  let at = 2
  while (at + 4 <= jpeg.byteLength && jpeg[at] === 0xff) {
    const marker = jpeg[at + 1] ?? 0
    if (wanted(marker)) return at
    if (marker === 0xda) break
    at += 2 + ((jpeg[at + 2] ?? 0) << 8) + (jpeg[at + 3] ?? 0)
  }
  throw new Error('JPEG marker not found')
}

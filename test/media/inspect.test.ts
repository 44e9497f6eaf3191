import { describe, expect, test } from 'bun:test'
import {
  type ImageFormat,
  type InspectResult,
  inspectImage,
  JPEG_MAX_SCANS,
  SUPPORTED_FORMATS,
} from '../../src/media/inspect'
import {
  anmf,
  gifFrameFlood,
  makeAnimatedGif,
  makeAnimatedWebp,
  makeApng,
  makeSimpleWebp,
  makeWebpStill,
  webpBitstream,
  withExtraScans,
  withFrameHeader,
  withSecondFrameHeader,
} from '../support/animated-images'
import {
  crc32,
  makeBmp,
  makeGif,
  makeJpeg,
  makePng,
  makeWebp,
  makeWebpExtended,
  pngChunk,
  pngHeaderOnly,
  withJpegComment,
} from '../support/images'

const text = (s: string) => new TextEncoder().encode(s)
const concat = (...parts: Uint8Array[]) => new Uint8Array(parts.flatMap((p) => [...p]))

/** A copy with some bytes changed, leaving the fixture itself untouched. */
function patched(bytes: Uint8Array, edit: (view: DataView, copy: Uint8Array) => void) {
  const copy = bytes.slice()
  edit(new DataView(copy.buffer), copy)
  return copy
}

function indexOfMarker(bytes: Uint8Array, marker: number) {
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0xff && bytes[i + 1] === marker) return i
  }
  throw new Error(`marker ${marker.toString(16)} not found`)
}

/** Lossy WebP header: a key frame tag, the VP8 start code and 14-bit dimensions. */
function vp8Webp(width: number, height: number) {
  const payload = new Uint8Array(10)
  const view = new DataView(payload.buffer)
  payload.set([0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a])
  view.setUint16(6, width, true)
  view.setUint16(8, height, true)
  const file = concat(text('RIFF'), new Uint8Array(4), text('WEBPVP8 '), new Uint8Array(4), payload)
  const fileView = new DataView(file.buffer)
  fileView.setUint32(4, file.length - 8, true)
  fileView.setUint32(16, payload.length, true)
  return file
}

/** OS/2-style BMP: 12-byte BITMAPCOREHEADER with 16-bit dimensions, 24 bits per pixel. */
function coreBmp(width: number, height: number) {
  const rowBytes = Math.ceil((width * 3) / 4) * 4
  const bytes = new Uint8Array(14 + 12 + rowBytes * height)
  const view = new DataView(bytes.buffer)
  bytes.set(text('BM'))
  view.setUint32(2, bytes.length, true)
  view.setUint32(10, 26, true)
  view.setUint32(14, 12, true)
  view.setUint16(18, width, true)
  view.setUint16(20, height, true)
  view.setUint16(22, 1, true)
  view.setUint16(24, 24, true)
  return bytes
}

/** Graphic control and comment extensions before the image, the comment over two sub-blocks. */
function gifWithExtensions(gif: Uint8Array) {
  const afterPalette = 13 + 12
  const control = new Uint8Array([0x21, 0xf9, 4, 0, 0, 0, 0, 0])
  const comment = concat(new Uint8Array([0x21, 0xfe, 3]), text('abc'), new Uint8Array([1, 0x64, 0]))
  return concat(gif.subarray(0, afterPalette), control, comment, gif.subarray(afterPalette))
}

/**
 * Appends a table segment and a second scan holding stuffed 0xFF00, fill bytes and a restart
 * marker, the way progressive files continue after their first scan.
 */
function withSecondScan(jpeg: Uint8Array) {
  const sos = indexOfMarker(jpeg, 0xda)
  const sosSegment = jpeg.subarray(
    sos,
    sos + 2 + ((jpeg[sos + 2] ?? 0) << 8) + (jpeg[sos + 3] ?? 0),
  )
  const scan = new Uint8Array([0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56, 0xff, 0xff, 0xd9])
  const comment = concat(new Uint8Array([0xff, 0xfe, 0, 5]), text('mid'))
  return concat(jpeg.subarray(0, jpeg.length - 2), comment, sosSegment, scan)
}

function expectCorrupt(result: InspectResult, message: RegExp) {
  expect(result.ok).toBe(false)
  if (result.ok) return
  expect(result.reason).toBe('corrupt')
  expect(result.message).toMatch(message)
}

type Accepted = [string, Uint8Array, ImageFormat, string, string, number, number]

describe('inspectImage accepts real images', () => {
  const jpeg = makeJpeg(9, 4, { seed: 3 })
  test.each<Accepted>([
    ['PNG', makePng(7, 5, { seed: 1 }), 'png', 'image/png', 'png', 7, 5],
    ['PNG 1x1', makePng(1, 1), 'png', 'image/png', 'png', 1, 1],
    ['JPEG', jpeg, 'jpeg', 'image/jpeg', 'jpg', 9, 4],
    ['JPEG with a comment', withJpegComment(jpeg, 'unique'), 'jpeg', 'image/jpeg', 'jpg', 9, 4],
    ['JPEG with zero padding', concat(jpeg, new Uint8Array(4)), 'jpeg', 'image/jpeg', 'jpg', 9, 4],
    ['GIF', makeGif(13, 7), 'gif', 'image/gif', 'gif', 13, 7],
    ['GIF over several sub-blocks', makeGif(300, 200), 'gif', 'image/gif', 'gif', 300, 200],
    ['GIF with extensions', gifWithExtensions(makeGif(13, 7)), 'gif', 'image/gif', 'gif', 13, 7],
    ['JPEG with a second scan', withSecondScan(jpeg), 'jpeg', 'image/jpeg', 'jpg', 9, 4],
    ['BMP', makeBmp(5, 3), 'bmp', 'image/bmp', 'bmp', 5, 3],
    [
      'BMP top-down',
      patched(makeBmp(5, 3), (v) => v.setInt32(22, -3, true)),
      'bmp',
      'image/bmp',
      'bmp',
      5,
      3,
    ],
    ['BMP core header', coreBmp(6, 2), 'bmp', 'image/bmp', 'bmp', 6, 2],
    ['WebP lossless', makeWebp(6, 8), 'webp', 'image/webp', 'webp', 6, 8],
    ['WebP lossless max size', makeWebp(16384, 16384), 'webp', 'image/webp', 'webp', 16384, 16384],
    ['WebP extended', makeWebpExtended(300, 17), 'webp', 'image/webp', 'webp', 300, 17],
    ['WebP lossy', vp8Webp(640, 480), 'webp', 'image/webp', 'webp', 640, 480],
  ])('%s', (_, bytes, format, mimetype, extension, width, height) => {
    expect(inspectImage(bytes)).toEqual({
      ok: true,
      info: { format, mimetype, extension, width, height, frames: 1 },
    })
  })

  test('SUPPORTED_FORMATS lists the five formats', () => {
    expect(SUPPORTED_FORMATS.map((f) => [f.format, f.mimetype, f.extension])).toEqual([
      ['png', 'image/png', 'png'],
      ['jpeg', 'image/jpeg', 'jpg'],
      ['gif', 'image/gif', 'gif'],
      ['bmp', 'image/bmp', 'bmp'],
      ['webp', 'image/webp', 'webp'],
    ])
  })

  test('declared dimensions are returned as they are, limits are the caller’s job', () => {
    const flood = pngHeaderOnly(100_000, 100_000)
    expect(flood.length).toBeLessThan(100)
    expect(inspectImage(flood)).toMatchObject({
      ok: true,
      info: { width: 100_000, height: 100_000 },
    })
  })

  test('a ~2 MB JPEG inside a larger buffer is read in place', () => {
    const photo = makeJpeg(1200, 1000, { seed: 5, quality: 95 })
    expect(photo.length).toBeGreaterThan(1_500_000)
    // A view at an odd offset of a bigger buffer: the inspector must honour byteOffset.
    const backing = new Uint8Array(photo.length + 7)
    backing.set(photo, 3)
    const view = backing.subarray(3, 3 + photo.length)
    expect(inspectImage(view)).toMatchObject({
      ok: true,
      info: { format: 'jpeg', width: 1200, height: 1000 },
    })
    expectCorrupt(inspectImage(view.subarray(0, view.length - 100)), /truncated|EOI/)
  })
})

describe('inspectImage refuses what is not one of the five formats', () => {
  test.each([
    ['empty', new Uint8Array(0)],
    ['3 bytes', new Uint8Array([0x89, 0x50, 0x4e])],
    ['plain text', text('hello world, not an image')],
    ['HTML', text('<!doctype html><html><body>hi</body></html>')],
    ['SVG', text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>')],
    ['PDF', text('%PDF-1.4\n%âãÏÓ\n1 0 obj\n')],
    ['ZIP', new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0])],
    ['text starting with BM', text('BMW owners club newsletter, issue 12')],
    ['RIFF that is not WebP', concat(text('RIFF'), new Uint8Array([4, 0, 0, 0]), text('WAVE'))],
  ])('%s', (_, bytes) => {
    const result = inspectImage(bytes)
    expect(result).toMatchObject({ ok: false, reason: 'unsupported' })
    if (!result.ok) expect(result.message.length).toBeGreaterThan(0)
  })
})

describe('inspectImage finds broken structure', () => {
  const png = makePng(8, 8, { seed: 9 })
  const idatData = 8 + 25 + 8 // signature, IHDR chunk, IDAT length and type
  const ihdrWithColorType5 = png.slice(16, 29)
  ihdrWithColorType5[9] = 5
  const jpeg = makeJpeg(16, 16, { seed: 9 })
  const sof = indexOfMarker(jpeg, 0xc0)
  const gif = makeGif(4, 4)
  const webp = makeWebp(6, 8)
  const bmp = makeBmp(5, 3)

  test.each([
    [
      'PNG with a flipped IDAT byte',
      patched(png, (v) => v.setUint8(idatData + 2, v.getUint8(idatData + 2) ^ 0x40)),
      /IDAT.*CRC/,
    ],
    [
      'PNG with a bad IHDR CRC',
      patched(png, (v) => v.setUint8(29, v.getUint8(29) ^ 1)),
      /IHDR.*CRC/,
    ],
    ['PNG with IEND removed', png.subarray(0, png.length - 12), /no IEND/],
    ['PNG with trailing garbage', concat(png, text('garbage')), /trailing/],
    ['PNG cut short', png.subarray(0, 40), /truncated/],
    ['PNG of only its signature', png.subarray(0, 8), /IEND/],
    ['PNG with zero width', pngHeaderOnly(0, 10), /zero/],
    ['PNG with zero height', pngHeaderOnly(10, 0), /zero/],
    [
      'PNG without IHDR first',
      concat(png.subarray(0, 8), pngChunk('tEXt', text('a\0b')), png.subarray(8)),
      /IHDR/,
    ],
    ['PNG without IDAT', concat(png.subarray(0, 33), png.subarray(png.length - 12)), /IDAT/],
    [
      'PNG with an invalid color type',
      concat(png.subarray(0, 8), pngChunk('IHDR', ihdrWithColorType5), png.subarray(33)),
      /color type/,
    ],
    ['JPEG cut in half', jpeg.subarray(0, jpeg.length >> 1), /truncated/],
    ['JPEG with EOI removed', jpeg.subarray(0, jpeg.length - 2), /truncated/],
    ['JPEG with trailing data', concat(jpeg, text('PK\x03\x04 hidden zip')), /trailing/],
    ['JPEG with zero width', patched(jpeg, (v) => v.setUint16(sof + 7, 0)), /zero/],
    ['JPEG with zero height', patched(jpeg, (v) => v.setUint16(sof + 5, 0)), /zero/],
    ['JPEG of only SOI and EOI', new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), /no image data/],
    ['JPEG cut inside its headers', jpeg.subarray(0, sof + 4), /truncated/],
    ['GIF without trailer', gif.subarray(0, gif.length - 1), /no trailer/],
    ['GIF with trailing data', concat(gif, text('xx')), /trailing/],
    ['GIF cut inside image data', gif.subarray(0, gif.length - 4), /truncated/],
    ['GIF with only a header and trailer', concat(gif.subarray(0, 25), text(';')), /no image/],
    [
      'WebP with RIFF length +1',
      patched(webp, (v) => v.setUint32(4, webp.length - 7, true)),
      /RIFF/,
    ],
    [
      'WebP with RIFF length -1',
      patched(webp, (v) => v.setUint32(4, webp.length - 9, true)),
      /RIFF/,
    ],
    [
      'WebP whose chunk overruns the file',
      patched(webp, (v) => v.setUint32(16, 999, true)),
      /chunk/,
    ],
    ['WebP with a bad VP8L signature', patched(webp, (_, b) => (b[20] = 0x2e)), /VP8L/],
    ['WebP with an unknown first chunk', patched(webp, (_, b) => b.set(text('JUNK'), 12)), /VP8/],
    ['WebP lossy without start code', patched(vp8Webp(4, 4), (_, b) => (b[23] = 0)), /VP8/],
    [
      'BMP whose size field lies',
      patched(bmp, (v) => v.setUint32(2, bmp.length + 10, true)),
      /size/,
    ],
    [
      'BMP with pixel offset beyond the file',
      patched(bmp, (v) => v.setUint32(10, bmp.length + 1, true)),
      /offset/,
    ],
    ['BMP whose rows do not fit', patched(bmp, (v) => v.setInt32(22, 300, true)), /truncated/],
    ['BMP with zero width', patched(bmp, (v) => v.setInt32(18, 0, true)), /zero/],
  ])('%s', (_, bytes, message) => {
    expectCorrupt(inspectImage(bytes), message)
  })
})

describe('PNG CRC', () => {
  test('Bun.hash.crc32 is the standard PNG CRC-32', () => {
    expect(Bun.hash.crc32(text('123456789'))).toBe(0xcbf43926)
    expect(Bun.hash.crc32(text('IEND'))).toBe(0xae426082)
    for (const bytes of [makePng(3, 3, { seed: 4 }), makeJpeg(8, 8), new Uint8Array(0)]) {
      expect(Bun.hash.crc32(bytes)).toBe(crc32(bytes))
    }
  })
})

// Issue 10, item 7: the limits hold for every frame, SOF and bitstream header, not only the
// outer header; inner sizes must agree with the canvas; frames and their pixels are bounded.

const LIMITS = {
  maxSide: 16384,
  maxPixels: 100_000_000,
  maxFrames: 1000,
  maxTotalFramePixels: 500_000_000,
}

function expectOverLimit(result: InspectResult, message: RegExp) {
  expect(result).toMatchObject({ ok: false, reason: 'dimensions' })
  if (!result.ok) expect(result.message).toMatch(message)
}

const tiny = { width: 1, height: 1 }
const huge = { width: 65535, height: 65535 }
const jpeg8 = makeJpeg(8, 8, { seed: 2 })
const lossless = (width: number, height: number) => ({ codec: 'VP8L' as const, width, height })
const lossy = (width: number, height: number) => ({ codec: 'VP8' as const, width, height })

describe('inspectImage holds every frame and inner header to the limits', () => {
  test.each([
    [
      'GIF: 1x1 screen, 65535x65535 frame',
      makeAnimatedGif(1, 1, [huge], { pixels: false }),
      /GIF frame 1: 65535x65535 .*16384 pixels a side/,
    ],
    [
      'GIF: second frame over the side limit',
      makeAnimatedGif(1, 1, [tiny, { width: 16385, height: 1 }], { pixels: false }),
      /GIF frame 2: 16385x1/,
    ],
    [
      'GIF: frame over the pixel limit',
      makeAnimatedGif(1, 1, [{ width: 10001, height: 10000 }], { pixels: false }),
      /GIF frame 1: 10001x10000 .*100000000 pixels/,
    ],
    [
      'WebP: 1x1 VP8X canvas around a 16384² VP8L',
      makeWebpStill(1, 1, webpBitstream(lossless(16384, 16384))),
      /WebP bitstream: 16384x16384 .*100000000 pixels/,
    ],
    [
      'WebP: 1x1 VP8X canvas around a 16383² VP8',
      makeWebpStill(1, 1, webpBitstream(lossy(16383, 16383))),
      /WebP bitstream: 16383x16383/,
    ],
    [
      'WebP: 1x1 canvas, ANMF of 2^24 a side',
      makeAnimatedWebp(1, 1, [{ width: 2 ** 24, height: 2 ** 24, inner: lossless(1, 1) }]),
      /WebP frame 1: 16777216x16777216/,
    ],
    [
      'WebP: ANMF 1x1 around a 16384² VP8L',
      makeAnimatedWebp(1, 1, [{ ...tiny, inner: lossless(16384, 16384) }]),
      /WebP frame 1 bitstream: 16384x16384/,
    ],
    [
      'JPEG: second SOF declares 65535²',
      withSecondFrameHeader(withFrameHeader(jpeg8, 0xc0, 1, 1), 65535, 65535),
      /JPEG frame header 2: 65535x65535/,
    ],
    [
      'JPEG: progressive SOF2 declares 65535²',
      withFrameHeader(jpeg8, 0xc2, 65535, 65535),
      /^65535x65535 .*16384 pixels a side/,
    ],
    [
      'APNG: 1x1 canvas, 65535² fcTL',
      makeApng(1, 1, [tiny, huge], { pixels: false }),
      /APNG frame 2: 65535x65535/,
    ],
    [
      'APNG: fcTL of 2^31 a side',
      makeApng(1, 1, [tiny, { width: 2 ** 31, height: 2 ** 31 }], { pixels: false }),
      /APNG frame 2: 2147483648x2147483648/,
    ],
  ])('%s', (_, bytes, message) => {
    expectOverLimit(inspectImage(bytes, LIMITS), message)
  })

  test('a frame exactly at the side and pixel limits passes, one pixel more does not', () => {
    const limits = { ...LIMITS, maxSide: 100, maxPixels: 100 * 50 }
    const at = makeAnimatedGif(100, 50, [{ width: 100, height: 50 }], { pixels: false })
    expect(inspectImage(at, limits)).toMatchObject({ ok: true, info: { frames: 1 } })
    // On a 1x1 screen, so the frame is the first size over a limit.
    const wider = makeAnimatedGif(1, 1, [{ width: 101, height: 1 }], { pixels: false })
    expectOverLimit(inspectImage(wider, limits), /GIF frame 1: 101x1 .*100 pixels a side/)
    const bigger = makeAnimatedGif(1, 1, [{ width: 100, height: 51 }], { pixels: false })
    expectOverLimit(inspectImage(bigger, limits), /GIF frame 1: 100x51 .*5000 pixels/)
  })
})

describe('inspectImage requires inner sizes to agree with the canvas', () => {
  test.each([
    [
      'GIF frame larger than the screen',
      makeAnimatedGif(1, 1, [{ width: 2, height: 2 }], { pixels: false }),
      /GIF frame 1 \(2x2 at 0,0\) does not fit the 1x1 canvas/,
    ],
    [
      'GIF frame off the screen edge',
      makeAnimatedGif(100, 100, [{ width: 20, height: 20, x: 90, y: 90 }], { pixels: false }),
      /GIF frame 1 .*does not fit/,
    ],
    [
      'APNG frame past the canvas',
      makeApng(
        10,
        10,
        [
          { width: 10, height: 10 },
          { width: 5, height: 5, x: 4294967295 },
        ],
        { pixels: false },
      ),
      /APNG frame 2 .*does not fit the 10x10 canvas/,
    ],
    [
      'APNG default image smaller than the canvas',
      makeApng(10, 10, [{ width: 5, height: 5 }], { pixels: false }),
      /APNG frame 1 .*whole canvas/,
    ],
    [
      'APNG frame of zero width',
      makeApng(
        10,
        10,
        [
          { width: 10, height: 10 },
          { width: 0, height: 5 },
        ],
        { pixels: false },
      ),
      /APNG frame 2 has a zero width/,
    ],
    [
      'APNG declaring 3 frames with 2',
      makeApng(
        4,
        4,
        [
          { width: 4, height: 4 },
          { width: 4, height: 4 },
        ],
        { declaredFrames: 3 },
      ),
      /declares 3 frames but has 2/,
    ],
    [
      'APNG declaring zero frames',
      makeApng(4, 4, [{ width: 4, height: 4 }], { declaredFrames: 0 }),
      /zero frames/,
    ],
    [
      'WebP VP8X 100x100 around a 50x50 VP8L',
      makeWebpStill(100, 100, webpBitstream(lossless(50, 50))),
      /WebP bitstream is 50x50 but the VP8X canvas is 100x100/,
    ],
    [
      'WebP VP8X 100x100 around a 100x99 VP8',
      makeWebpStill(100, 100, webpBitstream(lossy(100, 99))),
      /100x99 but the VP8X canvas/,
    ],
    ['WebP VP8X still without a bitstream', makeWebpStill(4, 4), /no image bitstream/],
    [
      'WebP still with two bitstreams',
      makeSimpleWebp(lossless(4, 4), webpBitstream(lossless(16384, 16384))),
      /more than one image bitstream/,
    ],
    [
      'WebP still with an ANMF frame',
      makeWebpStill(
        4,
        4,
        webpBitstream(lossless(4, 4)),
        anmf({ width: 4, height: 4 }, lossless(4, 4)),
      ),
      /no animation flag/,
    ],
    [
      'WebP frame off the canvas',
      makeAnimatedWebp(10, 10, [{ width: 4, height: 4, x: 8 }]),
      /WebP frame 1 \(4x4 at 8,0\) does not fit the 10x10 canvas/,
    ],
    [
      'WebP frame whose bitstream is another size',
      makeAnimatedWebp(10, 10, [{ width: 4, height: 4, inner: lossy(5, 4) }]),
      /WebP frame 1 bitstream is 5x4 but the WebP frame 1 is 4x4/,
    ],
    ['animated WebP without frames', makeAnimatedWebp(10, 10, []), /no frames/],
    [
      'animated WebP with a bitstream outside its frames',
      makeAnimatedWebp(4, 4, [{ width: 4, height: 4 }], webpBitstream(lossless(4, 4))),
      /outside its frames/,
    ],
    [
      'JPEG with two frame headers of its own size',
      withSecondFrameHeader(jpeg8, 8, 8),
      /more than one frame header/,
    ],
    [
      'JPEG with 501 scans',
      withExtraScans(withFrameHeader(jpeg8, 0xc2, 8, 8), JPEG_MAX_SCANS),
      /more than 500 scans/,
    ],
  ])('%s', (_, bytes, message) => {
    expectCorrupt(inspectImage(bytes, LIMITS), message)
  })
})

describe('inspectImage bounds the frames and their pixels', () => {
  const limits = { ...LIMITS, maxFrames: 3, maxTotalFramePixels: 3 * 100 }
  const frames = (n: number, size = { width: 10, height: 10 }) =>
    Array.from({ length: n }, () => size)

  test.each([
    ['GIF', (n: number) => makeAnimatedGif(10, 10, frames(n))],
    ['APNG', (n: number) => makeApng(10, 10, frames(n))],
    ['animated WebP', (n: number) => makeAnimatedWebp(10, 10, frames(n))],
  ])('%s: exactly the frame limit passes, one frame more does not', (_, make) => {
    expect(
      inspectImage(make(3), { ...limits, maxTotalFramePixels: LIMITS.maxTotalFramePixels }),
    ).toMatchObject({ ok: true, info: { width: 10, height: 10, frames: 3 } })
    expectOverLimit(
      inspectImage(make(4), { ...limits, maxTotalFramePixels: LIMITS.maxTotalFramePixels }),
      /exceeds the limit of 3 frames/,
    )
  })

  test.each([
    ['GIF', (n: number) => makeAnimatedGif(10, 10, frames(n, { width: 1, height: 1 }))],
    [
      'APNG',
      (n: number) =>
        makeApng(10, 10, [{ width: 10, height: 10 }, ...frames(n - 1, { width: 1, height: 1 })]),
    ],
    ['animated WebP', (n: number) => makeAnimatedWebp(10, 10, frames(n, { width: 1, height: 1 }))],
  ])('%s: every frame counts at the canvas size, up to exactly the total', (_, make) => {
    const total = { ...limits, maxFrames: 1000, maxTotalFramePixels: 3 * 10 * 10 }
    expect(inspectImage(make(3), total)).toMatchObject({ ok: true, info: { frames: 3 } })
    expectOverLimit(
      inspectImage(make(4), total),
      /4 frames of 10x10 exceed the limit of 300 pixels/,
    )
  })

  test('a still image is one frame of its canvas', () => {
    for (const bytes of [
      makePng(10, 10),
      makeJpeg(10, 10),
      makeGif(10, 10),
      makeBmp(10, 10),
      makeWebp(10, 10),
      makeWebpExtended(10, 10),
    ]) {
      expect(
        inspectImage(bytes, { ...LIMITS, maxFrames: 1, maxTotalFramePixels: 100 }),
      ).toMatchObject({ ok: true, info: { frames: 1 } })
      expectOverLimit(
        inspectImage(bytes, { ...LIMITS, maxTotalFramePixels: 99 }),
        /^1 frame of 10x10 exceeds the limit of 99 pixels/,
      )
    }
  })

  test('an APNG default image outside the animation is one more frame', () => {
    const hidden = makeApng(10, 10, frames(3), { hiddenDefault: true })
    expect(inspectImage(hidden, LIMITS)).toMatchObject({ ok: true, info: { frames: 3 } })
    expect(inspectImage(makeApng(10, 10, frames(3)), limits)).toMatchObject({ ok: true })
    const four = makeApng(10, 10, frames(4), { hiddenDefault: true })
    expectOverLimit(inspectImage(four, { ...limits, maxTotalFramePixels: 1e6 }), /3 frames/)
    expectCorrupt(
      inspectImage(makeApng(10, 10, frames(2), { declaredFrames: 1 }), LIMITS),
      /declares 1 frames but has 2/,
    )
  })

  test('an APNG declaring more frames than the limit is refused at acTL', () => {
    const declared = makeApng(10, 10, frames(1), { declaredFrames: 2 ** 32 - 1 })
    expectOverLimit(inspectImage(declared, LIMITS), /exceeds the limit of 1000 frames/)
  })

  test('a GIF of 300,000 frames of 10000² (4.2 MB) is refused after a few frames', () => {
    const flood = gifFrameFlood(
      { width: 10000, height: 10000 },
      { width: 10000, height: 10000 },
      300_000,
    )
    expect(flood.byteLength).toBeLessThan(4.5 * 1024 * 1024)
    // Without limits the whole walk is one linear pass that finds every frame.
    expect(inspectImage(flood)).toMatchObject({ ok: true, info: { frames: 300_000 } })
    expectOverLimit(
      inspectImage(flood, LIMITS),
      /6 frames of 10000x10000 exceed the limit of 500000000 pixels/,
    )
    const small = gifFrameFlood({ width: 10, height: 10 }, { width: 10, height: 10 }, 300_000)
    expectOverLimit(inspectImage(small, LIMITS), /exceeds the limit of 1000 frames/)
  })

  test('500 JPEG scans pass, the 501st is refused', () => {
    const progressive = withFrameHeader(jpeg8, 0xc2, 8, 8)
    expect(inspectImage(withExtraScans(progressive, JPEG_MAX_SCANS - 1), LIMITS)).toMatchObject({
      ok: true,
      info: { width: 8, height: 8, frames: 1 },
    })
  })
})

describe('inspectImage accepts valid animations within the limits', () => {
  const placed = [
    { width: 20, height: 10 },
    { width: 8, height: 4, x: 6, y: 2 },
    { width: 4, height: 2, x: 16, y: 8 },
  ]
  const lossyFrame = { width: 6, height: 4, x: 2, y: 2, inner: lossy(6, 4) }
  test.each<[string, Uint8Array, ImageFormat, number, number, number]>([
    ['animated GIF', makeAnimatedGif(20, 10, placed), 'gif', 20, 10, 3],
    ['APNG', makeApng(20, 10, placed), 'png', 20, 10, 3],
    [
      'APNG with a default image outside',
      makeApng(20, 10, placed, { hiddenDefault: true }),
      'png',
      20,
      10,
      3,
    ],
    ['animated WebP', makeAnimatedWebp(20, 10, placed), 'webp', 20, 10, 3],
    [
      'animated WebP with a lossy frame',
      makeAnimatedWebp(20, 10, [...placed, lossyFrame]),
      'webp',
      20,
      10,
      4,
    ],
    [
      'JPEG with a progressive SOF2 header and 10 scans',
      withExtraScans(withFrameHeader(jpeg8, 0xc2, 8, 8), 9),
      'jpeg',
      8,
      8,
      1,
    ],
  ])('%s', (_, bytes, format, width, height, frames) => {
    expect(inspectImage(bytes, LIMITS)).toMatchObject({
      ok: true,
      info: { format, width, height, frames },
    })
  })
})

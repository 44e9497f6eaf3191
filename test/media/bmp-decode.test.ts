import { describe, expect, test } from 'bun:test'
import { decodeBmp } from '../../src/media/bmp-decode'
import { makeBmp } from '../support/images'

/** A BMP with a BITMAPINFOHEADER and the given pixel array (rows bottom-up unless topDown). */
function bmp(
  width: number,
  height: number,
  bpp: number,
  rows: number[][],
  extra: number[] = [],
  topDown = false,
) {
  const rowBytes = Math.ceil((width * bpp) / 32) * 4
  const offset = 14 + 40 + extra.length
  const bytes = new Uint8Array(offset + rowBytes * height)
  const view = new DataView(bytes.buffer)
  bytes.set([0x42, 0x4d])
  view.setUint32(2, bytes.byteLength, true)
  view.setUint32(10, offset, true)
  view.setUint32(14, 40, true)
  view.setInt32(18, width, true)
  view.setInt32(22, topDown ? -height : height, true)
  view.setUint16(26, 1, true)
  view.setUint16(28, bpp, true)
  if (bpp <= 8) view.setUint32(46, extra.length / 4, true) // colours used
  bytes.set(extra, 54)
  for (const [y, row] of rows.entries()) bytes.set(row, offset + y * rowBytes)
  return bytes
}

const rgb = (raw: ReturnType<typeof decodeBmp>) => Array.from(raw.data)

describe('decodeBmp', () => {
  test('24-bit bottom-up: BGR to RGB, first stored row is the bottom', () => {
    const raw = decodeBmp(
      bmp(1, 2, 24, [
        [1, 2, 3],
        [4, 5, 6],
      ]),
    )
    expect([raw.width, raw.height]).toEqual([1, 2])
    expect(rgb(raw)).toEqual([6, 5, 4, 3, 2, 1])
  })
  test('top-down rows keep their order', () => {
    expect(
      rgb(
        decodeBmp(
          bmp(
            1,
            2,
            24,
            [
              [1, 2, 3],
              [4, 5, 6],
            ],
            [],
            true,
          ),
        ),
      ),
    ).toEqual([3, 2, 1, 6, 5, 4])
  })
  test('1-bit and 8-bit palettes', () => {
    const palette = [0, 0, 0, 0, 255, 128, 64, 0] // black, then BGR (255,128,64)
    expect(rgb(decodeBmp(bmp(3, 1, 1, [[0b01000000]], palette)))).toEqual([
      0, 0, 0, 64, 128, 255, 0, 0, 0,
    ])
    expect(rgb(decodeBmp(bmp(2, 1, 8, [[1, 0]], palette)))).toEqual([64, 128, 255, 0, 0, 0])
  })
  test('16-bit 5-5-5 and 32-bit BGRX', () => {
    expect(rgb(decodeBmp(bmp(1, 1, 16, [[0x00, 0x7c]])))).toEqual([255, 0, 0])
    expect(rgb(decodeBmp(bmp(1, 1, 32, [[10, 20, 30, 0]])))).toEqual([30, 20, 10])
  })
  test('step samples every n-th pixel of every n-th row', () => {
    const raw = decodeBmp(makeBmp(100, 50), 10)
    expect([raw.width, raw.height, raw.data.byteLength]).toEqual([10, 5, 150])
    expect(Array.from(raw.data.subarray(0, 3))).toEqual(
      Array.from(decodeBmp(makeBmp(100, 50)).data.subarray(0, 3)),
    )
  })
})

import { describe, expect, test } from 'bun:test'
import { decodeBmp } from '../../src/media/bmp-decode'
import { bmpFile } from '../support/bmp'
import { makeBmp } from '../support/images'

/** A BMP with a BITMAPINFOHEADER and the given pixel array (rows bottom-up unless topDown). */
function bmp(
  width: number,
  height: number,
  bpp: number,
  rows: number[][],
  palette: number[] = [],
  topDown = false,
) {
  const { bytes, offset, rowBytes } = bmpFile(width, height, bpp, palette, topDown)
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
  test('step averages each step×step block, the partial blocks at the edges over what they hold', () => {
    const full = decodeBmp(makeBmp(101, 51))
    const raw = decodeBmp(makeBmp(101, 51), 10)
    expect([raw.width, raw.height, raw.data.byteLength]).toEqual([11, 6, 198])
    const expected: number[] = []
    for (let oy = 0; oy < 6; oy++) {
      for (let ox = 0; ox < 11; ox++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0
          let n = 0
          for (let y = oy * 10; y < Math.min(51, oy * 10 + 10); y++) {
            for (let x = ox * 10; x < Math.min(101, ox * 10 + 10); x++) {
              sum += full.data[(y * 101 + x) * 3 + c] as number
              n++
            }
          }
          expected.push(Math.round(sum / n))
        }
      }
    }
    expect(rgb(raw)).toEqual(expected)
    // The last column and row are blocks of one pixel: the image's own edge pixels.
    expect(rgb(raw).slice(-3)).toEqual(Array.from(full.data.slice(-3)))
  })
})

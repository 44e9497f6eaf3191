import { describe, expect, test } from 'bun:test'
import sharp from 'sharp'
import {
  decodeImage,
  greyOnWhite,
  resampleToAspect,
  toSrgbByte,
  toSrgbByteFast,
  UndecodableImage,
} from '../../src/media/decode'
import { inspectImage } from '../../src/media/inspect'
import { RENDITION } from '../../src/similarity/dhash'
import { makeBmp, makeJpeg } from '../support/images'

const info = (bytes: Uint8Array) => {
  const result = inspectImage(bytes)
  if (!result.ok) throw new Error(result.message)
  return result.info
}

/** Dark on the left half, bright on the right. */
async function halves(width: number, height: number) {
  const raw = new Uint8Array(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      raw.fill(x < width / 2 ? 20 : 230, (y * width + x) * 3, (y * width + x + 1) * 3)
  }
  return new Uint8Array(
    await sharp(raw, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
  )
}

describe('decodeImage', () => {
  test('the greyscale rendition (for a perceptual hash) comes from the same pass', async () => {
    const bytes = await halves(640, 480)
    const decoded = await decodeImage(bytes, info(bytes), {
      maxPixels: 1e8,
      rendition: { width: 9, height: 8 },
    })
    expect(decoded.grey.byteLength).toBe(72)
    const grey = decoded.grey
    for (let row = 0; row < 8; row++) {
      expect(grey[row * 9] ?? 255).toBeLessThan(40)
      expect(grey[row * 9 + 8] ?? 0).toBeGreaterThan(210)
    }
    expect(decoded.thumbhash.length).toBeGreaterThan(10)
  })

  test('BMP goes through the own decoder into the same rendition', async () => {
    const bytes = makeBmp(200, 100)
    const decoded = await decodeImage(bytes, info(bytes), { maxPixels: 1e8, rendition: RENDITION })
    expect(decoded.grey.byteLength).toBe(72 * 64)
    expect(decoded.thumbhash).toBeString()
    expect(decoded.exif.cameraMake).toBeNull()
  })

  test('the thumbhash raster has the shown aspect ratio, at most 32 px, never enlarged', () => {
    const from = { width: 72, height: 64, channels: 3 as const }
    const rendition = { ...from, data: new Uint8Array(72 * 64 * 3).fill(200) }
    const wide = resampleToAspect(rendition, { width: 4000, height: 1000 }, 32)
    expect([wide.width, wide.height]).toEqual([32, 8])
    // RGBA out, opaque when the rendition has no alpha.
    expect(wide.data.every((v, i) => v === (i % 4 === 3 ? 255 : 200))).toBe(true)
    const tiny = resampleToAspect(rendition, { width: 10, height: 5 }, 32)
    expect([tiny.width, tiny.height]).toEqual([10, 5])
    const thin = resampleToAspect(rendition, { width: 1, height: 5000 }, 32)
    expect([thin.width, thin.height]).toEqual([1, 32])
  })

  test('the fast sRGB encoding equals the exact one for every luminance an RGB pixel can have', () => {
    const linear = Float64Array.from({ length: 256 }, (_, v) => {
      const c = v / 255
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
    })
    let mismatches = 0
    for (let r = 0; r < 256; r++) {
      for (let g = 0; g < 256; g++) {
        for (let b = 0; b < 256; b++) {
          const y =
            0.2126 * (linear[r] as number) +
            0.7152 * (linear[g] as number) +
            0.0722 * (linear[b] as number)
          if (toSrgbByte(y) !== toSrgbByteFast(y)) mismatches++
        }
      }
    }
    expect(mismatches).toBe(0)
    expect([toSrgbByteFast(0), toSrgbByteFast(1), toSrgbByteFast(0.2126)]).toEqual([0, 255, 127])
  })

  test('grey is Rec. 709 luminance after compositing on white', () => {
    const data = new Uint8Array([0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 0, 255, 0, 0, 255])
    // Black, white, fully transparent (white once composited), pure red (0.2126 linear).
    const rgba = { width: 4, height: 1, channels: 4 as const, data }
    expect([...greyOnWhite(rgba)]).toEqual([0, 255, 255, 127])
    const rgb = {
      width: 2,
      height: 1,
      channels: 3 as const,
      data: new Uint8Array([0, 0, 0, 255, 0, 0]),
    }
    expect([...greyOnWhite(rgb)]).toEqual([0, 127])
  })

  test('MAX_IMAGE_PIXELS is enforced by libvips too (one pixel over fails)', async () => {
    const bytes = makeJpeg(100, 50, { seed: 1 })
    expect(
      (await decodeImage(bytes, info(bytes), { maxPixels: 5000, rendition: RENDITION })).thumbhash,
    ).toBeString()
    expect(
      decodeImage(bytes, info(bytes), { maxPixels: 4999, rendition: RENDITION }),
    ).rejects.toBeInstanceOf(UndecodableImage)
  })
})

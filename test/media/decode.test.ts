import { describe, expect, test } from 'bun:test'
import sharp from 'sharp'
import { decodeImage, UndecodableImage } from '../../src/media/decode'
import { inspectImage } from '../../src/media/inspect'
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
      grey: { width: 9, height: 8 },
    })
    expect(decoded.grey?.byteLength).toBe(72)
    const grey = decoded.grey ?? new Uint8Array()
    for (let row = 0; row < 8; row++) {
      expect(grey[row * 9] ?? 255).toBeLessThan(40)
      expect(grey[row * 9 + 8] ?? 0).toBeGreaterThan(210)
    }
    expect(decoded.thumbhash.length).toBeGreaterThan(10)
  })

  test('no grey rendition unless asked; BMP goes through the own decoder', async () => {
    const bytes = makeBmp(200, 100)
    const decoded = await decodeImage(bytes, info(bytes), { maxPixels: 1e8 })
    expect(decoded.grey).toBeUndefined()
    expect(decoded.exif.cameraMake).toBeNull()
  })

  test('MAX_IMAGE_PIXELS is enforced by libvips too (one pixel over fails)', async () => {
    const bytes = makeJpeg(100, 50, { seed: 1 })
    expect((await decodeImage(bytes, info(bytes), { maxPixels: 5000 })).thumbhash).toBeString()
    expect(decodeImage(bytes, info(bytes), { maxPixels: 4999 })).rejects.toBeInstanceOf(
      UndecodableImage,
    )
  })
})

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { images } from '../../src/db/schema'
import { SUPPORTED_FORMATS } from '../../src/media/inspect'
import { bandCandidates, bandNeighbours, hashBands } from '../../src/similarity/bands'
import {
  dHashFromGrey9x8,
  grey9x8FromRendition,
  hammingDistance,
  isHashable,
  isLowInformation,
  perceptualHash,
  popcount64,
} from '../../src/similarity/dhash'
import { json, startTestApp, type TestApp, upload } from '../support/app'
import {
  type BmpLayout,
  encodeBmp,
  pngOf,
  posterize,
  quantize555,
  type RgbImage,
  rgbOf,
} from '../support/bmp'
import { makeFlat, makeScene } from '../support/photos'

describe('dHash', () => {
  test('a bit per left-brighter-than-right pair, row by row, high bit first', () => {
    const grid = new Uint8Array(72)
    // Row 0: strictly decreasing → eight ones; every other row flat → zeros.
    for (let x = 0; x < 9; x++) grid[x] = 200 - x * 10
    expect(BigInt.asUintN(64, dHashFromGrey9x8(grid))).toBe(0xff00000000000000n)
    expect(dHashFromGrey9x8(grid) < 0n).toBe(true)
    expect(() => dHashFromGrey9x8(new Uint8Array(71))).toThrow(RangeError)
  })

  test('the rendition is averaged in exact 8×8 blocks', () => {
    const rendition = new Uint8Array(72 * 64)
    for (let y = 0; y < 64; y++) for (let x = 0; x < 72; x++) rendition[y * 72 + x] = x < 8 ? 80 : 0
    const grid = grey9x8FromRendition(rendition)
    expect(grid[0]).toBe(80)
    expect(grid[1]).toBe(0)
    expect(grid[9]).toBe(80)
    expect(() => grey9x8FromRendition(new Uint8Array(72 * 63))).toThrow(RangeError)
  })

  test('low information: flat grids and near-constant hashes; a busy grid is not', () => {
    const flat = new Uint8Array(72).fill(90)
    expect(isLowInformation(flat, dHashFromGrey9x8(flat))).toBe(true)
    const checker = Uint8Array.from({ length: 72 }, (_, i) => (i % 2 ? 40 : 200))
    expect(isLowInformation(checker, dHashFromGrey9x8(checker))).toBe(false)
    // A left-to-right gradient: steps are large, but every bit is 0.
    const gradient = Uint8Array.from({ length: 72 }, (_, i) => (i % 9) * 25)
    expect(dHashFromGrey9x8(gradient)).toBe(0n)
    expect(isLowInformation(gradient, 0n)).toBe(true)
  })

  test('popcount and distance over all 64 bits, sign included', () => {
    expect(popcount64(-1n)).toBe(64)
    expect(popcount64(0n)).toBe(0)
    expect(hammingDistance(-1n, 0n)).toBe(64)
    expect(hammingDistance(BigInt.asIntN(64, 1n << 63n), 0n)).toBe(1)
  })

  test('garbage pixels give null, not an error; flat images a low-information hash', async () => {
    const options = { limitInputPixels: 1e8 }
    expect(await perceptualHash(await makeScene(1), 'image/bmp', options)).toBeNull()
    expect(await perceptualHash(new Uint8Array(100), 'image/png', options)).toBeNull()
    expect(await perceptualHash(await makeFlat(10), 'image/png', options)).toEqual({
      hash: 0n,
      lowInformation: true,
    })
  })
})

describe('BMP', () => {
  const options = { limitInputPixels: 1e8 }
  const hashOf = async (bytes: Uint8Array, mimetype: string) =>
    (await perceptualHash(bytes, mimetype, options))?.hash
  const distance = async (picture: RgbImage, layout: BmpLayout) => {
    const png = await hashOf(await pngOf(picture), 'image/png')
    const bmp = await hashOf(encodeBmp(picture, layout), 'image/bmp')
    if (png === undefined || bmp === undefined) throw new Error('not hashed')
    return hammingDistance(png, bmp)
  }

  test('every format is hashable, BMP included', () => {
    expect(SUPPORTED_FORMATS.filter((f) => !isHashable(f.format))).toEqual([])
  })

  test('a BMP no larger than twice the rendition hashes exactly as the same picture as PNG', async () => {
    const picture = await rgbOf(await makeScene(41, 120, 90))
    expect(await distance(picture, { bits: 24 })).toBe(0)
    expect(await distance(picture, { bits: 24, topDown: true })).toBe(0)
    expect(await distance(picture, { bits: 32 })).toBe(0)
    expect(await distance(quantize555(picture), { bits: 16 })).toBe(0)
    expect(await distance(posterize(picture), { bits: 8 })).toBe(0)
    expect(await distance(posterize(picture), { bits: 8, topDown: true })).toBe(0)
  })

  // Larger BMPs are block-averaged before the resize (libvips reads the PNG whole): a few bits.
  // Sampling every n-th pixel instead, or one step for both axes of the tall one, gave up to 8.
  test.each([
    [1024, 768, 1],
    [1024, 768, 5],
    [333, 777, 1],
    [333, 777, 5],
  ])('%i×%i (seed %i): within 2 bits of the PNG', async (width, height, seed) => {
    const picture = await rgbOf(await makeScene(seed, width, height))
    expect(await distance(picture, { bits: 24 })).toBeLessThanOrEqual(2)
    expect(await distance(picture, { bits: 32, topDown: true })).toBeLessThanOrEqual(2)
    expect(await distance(posterize(picture), { bits: 8 })).toBeLessThanOrEqual(2)
  })
})

describe('bands', () => {
  test('neighbour counts per radius are 1, 17, 137, 697, all distinct and within the radius', () => {
    for (const [radius, expected] of [
      [0, 1],
      [1, 17],
      [2, 137],
      [3, 697],
    ] as const) {
      const values = bandNeighbours(0xbeef, radius)
      expect(values.length).toBe(expected)
      expect(new Set(values).size).toBe(expected)
      for (const v of values) {
        expect(v).toBeGreaterThanOrEqual(0)
        expect(v).toBeLessThan(65536)
        expect(popcount64(BigInt(v ^ 0xbeef))).toBeLessThanOrEqual(radius)
      }
    }
  })

  test('pigeonhole: any hash within d shares a candidate band value', () => {
    const base = BigInt.asIntN(64, 0x0123456789abcdefn)
    for (let trial = 0; trial < 500; trial++) {
      const d = trial % 12
      let other = BigInt.asUintN(64, base)
      const bits = new Set<number>()
      while (bits.size < d) bits.add(Math.floor(Math.random() * 64))
      for (const bit of bits) other ^= 1n << BigInt(bit)
      const candidates = bandCandidates(base, d)
      const bands = hashBands(BigInt.asIntN(64, other))
      expect(bands.some((band, i) => candidates[i]?.includes(band))).toBe(true)
    }
  })
})

describe('band columns in the database', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t?.stop())

  test('the generated band columns equal hashBands for a stored hash (negative ones too)', async () => {
    const res = await upload(t.url, await makeScene(9), { filename: 's.png' })
    const { id } = (await json(res)).data
    const db = t.deps.database.db
    for (const hash of [BigInt.asIntN(64, 0xfedcba9876543210n), 0x0123456789abcdefn, -1n]) {
      await db.update(images).set({ perceptualHash: hash }).where(eq(images.id, id))
      const [row] = await db
        .select({
          hash: images.perceptualHash,
          b0: images.hashBand0,
          b1: images.hashBand1,
          b2: images.hashBand2,
          b3: images.hashBand3,
        })
        .from(images)
        .where(eq(images.id, id))
      expect(row?.hash).toBe(hash)
      expect([row?.b0, row?.b1, row?.b2, row?.b3]).toEqual(hashBands(hash))
    }
  })
})

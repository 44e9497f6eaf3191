import sharp from 'sharp'

// A deterministic PRNG, so a seed always draws the same scene.
function mulberry32(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A PNG "scene" of overlapping shapes: structured like a photo, different for every seed. */
export async function makeScene(seed: number, width = 320, height = 240): Promise<Uint8Array> {
  const random = mulberry32(seed)
  const shapes: string[] = []
  for (let i = 0; i < 14; i++) {
    const grey = Math.floor(random() * 256)
    const fill = `rgb(${grey},${Math.floor(random() * 256)},${Math.floor(random() * 256)})`
    const x = Math.floor(random() * width)
    const y = Math.floor(random() * height)
    const r = Math.floor(20 + random() * width * 0.3)
    shapes.push(
      random() < 0.5
        ? `<circle cx="${x}" cy="${y}" r="${r}" fill="${fill}"/>`
        : `<rect x="${x - r}" y="${y - r / 2}" width="${r * 1.5}" height="${r}" fill="${fill}"/>`,
    )
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="rgb(${Math.floor(random() * 256)},128,128)"/>${shapes.join('')}</svg>`
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer())
}

/** The same picture as a client might re-send it: recompressed, resized, or converted. */
export async function makeVariant(
  bytes: Uint8Array,
  kind: 'jpeg60' | 'half' | 'webp' | 'brighter',
): Promise<Uint8Array> {
  const image = sharp(bytes)
  const out =
    kind === 'jpeg60'
      ? image.jpeg({ quality: 60 })
      : kind === 'half'
        ? image.resize({ width: 160 }).png()
        : kind === 'webp'
          ? image.webp({ quality: 70 })
          : image.linear(1.15, 0).png()
  return new Uint8Array(await out.toBuffer())
}

/** A flat, single-colour PNG: a low-information hash. */
export async function makeFlat(grey: number, width = 200, height = 150): Promise<Uint8Array> {
  return new Uint8Array(
    await sharp({
      create: { width, height, channels: 3, background: { r: grey, g: grey, b: grey } },
    })
      .png()
      .toBuffer(),
  )
}

// Evaluates the near-duplicate hash on real photographs: `bun run eval:near-duplicates [dir]`.
// The photos are scikit-image's samples from Debian (see the README, "Near-duplicates"):
//   cd /tmp && apt-get download python3-skimage && dpkg -x python3-skimage_*.deb skimage-x
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { loadConfig } from '../src/config'
import { hammingDistance, type PerceptualHash, perceptualHash } from '../src/similarity/dhash'

const DEFAULT_DIR = '/tmp/skimage-x/usr/lib/python3/dist-packages/skimage/data'
// The photographs among the samples; the rest are synthetic patterns, palettes and a broken file.
const PHOTOS = [
  'astronaut.png',
  'brick.png',
  'camera.png',
  'cell.png',
  'chelsea.png',
  'clock_motion.png',
  'coffee.png',
  'coins.png',
  'grass.png',
  'gravel.png',
  'hubble_deep_field.jpg',
  'ihc.png',
  'microaneurysms.png',
  'moon.png',
  'motorcycle_left.png',
  'motorcycle_right.png',
  'page.png',
  'retina.jpg',
  'rocket.jpg',
  'text.png',
]

// The distance shown for a pair that is never reported (a low-information hash is involved).
const NEVER = 99

type Transform = { name: string; target: boolean; apply: (input: Buffer) => Promise<Buffer> }

const size = async (input: Buffer) => {
  const m = await sharp(input).metadata()
  return { width: m.width ?? 1, height: m.height ?? 1 }
}
const resize = (factor: number) => async (input: Buffer) => {
  const { width } = await size(input)
  return sharp(input)
    .resize(Math.max(1, Math.round(width * factor)))
    .png()
    .toBuffer()
}
// Contrast about mid-grey: out = a·in + 128·(1 − a).
const contrast = (a: number) => (input: Buffer) =>
  sharp(input)
    .linear(a, 128 * (1 - a))
    .png()
    .toBuffer()
const brightness = (factor: number) => (input: Buffer) =>
  sharp(input).linear(factor, 0).png().toBuffer()

async function watermark(input: Buffer) {
  const { width, height } = await size(input)
  const font = Math.max(10, Math.round(height * 0.06))
  const svg = `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
    <text x="${width - font / 2}" y="${height - font / 2}" font-family="sans-serif" font-size="${font}"
      text-anchor="end" fill="white" fill-opacity="0.7" stroke="black" stroke-opacity="0.4">© example.com</text></svg>`
  return sharp(input)
    .composite([{ input: Buffer.from(svg) }])
    .png()
    .toBuffer()
}

async function borderCrop(input: Buffer) {
  const { width, height } = await size(input)
  const dx = Math.round(width * 0.05)
  const dy = Math.round(height * 0.05)
  return sharp(input)
    .extract({ left: dx, top: dy, width: width - 2 * dx, height: height - 2 * dy })
    .png()
    .toBuffer()
}

const TRANSFORMS: Transform[] = [
  { name: 'jpeg q60', target: true, apply: (i) => sharp(i).jpeg({ quality: 60 }).toBuffer() },
  { name: 'jpeg q30', target: true, apply: (i) => sharp(i).jpeg({ quality: 30 }).toBuffer() },
  { name: 'resize 50%', target: true, apply: resize(0.5) },
  { name: 'resize 25%', target: true, apply: resize(0.25) },
  { name: 'webp', target: true, apply: (i) => sharp(i).webp({ quality: 75 }).toBuffer() },
  { name: 'brightness +15%', target: true, apply: brightness(1.15) },
  { name: 'brightness -15%', target: true, apply: brightness(0.85) },
  { name: 'contrast +15%', target: true, apply: contrast(1.15) },
  { name: 'contrast -15%', target: true, apply: contrast(0.85) },
  { name: 'watermark', target: true, apply: watermark },
  { name: 'crop 5% border', target: false, apply: borderCrop },
  { name: 'rotate 90°', target: false, apply: (i) => sharp(i).rotate(90).png().toBuffer() },
  { name: 'mirror', target: false, apply: (i) => sharp(i).flop().png().toBuffer() },
]

const mimeOf = async (bytes: Buffer) => `image/${(await sharp(bytes).metadata()).format}`

async function hashOf(bytes: Buffer, limitInputPixels: number): Promise<PerceptualHash> {
  const result = await perceptualHash(bytes, await mimeOf(bytes), { limitInputPixels })
  if (!result) throw new Error('no hash')
  return result
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))] ?? Number.NaN
const pct = (n: number, d: number) => (d === 0 ? '   -  ' : `${((100 * n) / d).toFixed(1)}%`)

async function main() {
  const dir = process.argv[2] ?? DEFAULT_DIR
  const threshold = Number(
    process.argv[3] ?? loadConfig({ NODE_ENV: 'test' }).nearDuplicates.distance,
  )
  if (!existsSync(dir)) {
    console.error(`No photo directory at ${dir}. Get scikit-image's samples first:
  cd /tmp && apt-get download python3-skimage && dpkg -x python3-skimage_*.deb skimage-x
then: bun run eval:near-duplicates [${DEFAULT_DIR}] [distance]`)
    process.exit(2)
  }
  const files = readdirSync(dir).filter((f) => PHOTOS.includes(f))
  const limit = 100_000_000
  const originals = new Map<string, PerceptualHash>()
  const distances = new Map<string, number[]>(TRANSFORMS.map((t) => [t.name, []]))
  const lowInfo: string[] = []
  for (const file of files) {
    const bytes = Buffer.from(await Bun.file(join(dir, file)).arrayBuffer())
    const base = await hashOf(bytes, limit)
    if (base.lowInformation) lowInfo.push(file)
    originals.set(file, base)
    for (const t of TRANSFORMS) {
      const copy = await hashOf(await t.apply(bytes), limit)
      // A low-information hash is never reported: such a pair is a miss, whatever its distance.
      const reported = !base.lowInformation && !copy.lowInformation
      distances.get(t.name)?.push(reported ? hammingDistance(base.hash, copy.hash) : NEVER)
    }
  }
  const negatives: { pair: string; distance: number }[] = []
  const names = [...originals.keys()]
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const a = originals.get(names[i] as string) as PerceptualHash
      const b = originals.get(names[j] as string) as PerceptualHash
      const reported = !a.lowInformation && !b.lowInformation
      negatives.push({
        pair: `${names[i]} ~ ${names[j]}`,
        distance: reported ? hammingDistance(a.hash, b.hash) : NEVER,
      })
    }
  }
  const negSorted = negatives.map((n) => n.distance).sort((a, b) => a - b)
  const negComparable = negSorted.filter((x) => x !== NEVER)

  console.log(`${files.length} photos from ${dir}; ${negatives.length} unrelated pairs`)
  if (lowInfo.length) console.log(`low-information hashes: ${lowInfo.join(', ')}`)
  console.log(`\nDistance distribution (Hamming, of 64) and recall at distance ≤ ${threshold}`)
  console.log(
    '(statistics over the pairs with a comparable hash; "low-info": pairs never reported)',
  )
  console.log('transformation       n  low-info  min  median  p90  max   recall')
  for (const t of TRANSFORMS) {
    const all = distances.get(t.name) ?? []
    const d = all.filter((x) => x !== NEVER).sort((a, b) => a - b)
    const hits = d.filter((x) => x <= threshold).length
    console.log(
      `${t.name.padEnd(18)} ${String(all.length).padStart(3)} ${String(all.length - d.length).padStart(9)} ${String(d[0]).padStart(4)} ${String(quantile(d, 0.5)).padStart(7)} ${String(quantile(d, 0.9)).padStart(4)} ${String(d.at(-1)).padStart(4)}   ${pct(hits, all.length)}${t.target ? '' : '  (not a target)'}`,
    )
  }
  console.log(
    `unrelated pairs    ${String(negSorted.length).padStart(3)} ${String(negSorted.length - negComparable.length).padStart(9)} ${String(negComparable[0]).padStart(4)} ${String(quantile(negComparable, 0.5)).padStart(7)}  p1=${quantile(negComparable, 0.01)} p5=${quantile(negComparable, 0.05)}`,
  )
  console.log('closest unrelated pairs:')
  for (const n of [...negatives].sort((a, b) => a.distance - b.distance).slice(0, 5)) {
    console.log(`  ${String(n.distance).padStart(2)}  ${n.pair}`)
  }

  console.log('\nBy threshold (targets: recompress, resize, WebP, brightness/contrast, watermark)')
  console.log('distance  target recall  precision  false positives  crop   rotate  mirror')
  const targetDistances = TRANSFORMS.filter((t) => t.target).flatMap(
    (t) => distances.get(t.name) ?? [],
  )
  const recallOf = (name: string, d: number) => {
    const list = distances.get(name) ?? []
    return pct(list.filter((x) => x <= d).length, list.length)
  }
  for (let d = 0; d <= 24; d++) {
    const tp = targetDistances.filter((x) => x <= d).length
    const fp = negSorted.filter((x) => x <= d).length
    console.log(
      `${String(d).padStart(8)}  ${pct(tp, targetDistances.length).padStart(13)}  ${pct(tp, tp + fp).padStart(9)}  ${String(fp).padStart(15)}  ${recallOf('crop 5% border', d).padStart(5)}  ${recallOf('rotate 90°', d).padStart(6)}  ${recallOf('mirror', d).padStart(6)}${d === threshold ? '   ← default' : ''}`,
    )
  }
}

await main()

/**
 * Pixel-pipeline scenarios (`bun run bench:pixels [--quick]`), medians of alternating rounds so a
 * busy machine skews both sides alike:
 *  - upload rate with the decode pass vs without (service level, same database and store);
 *  - variant generation (VariantService: read, render, store) vs a bare sharp loop, same resizes;
 *    again with 8 requests at once from a store 20 ms away (bench/latent-storage.ts);
 *  - a cached thumb vs an original of about the same byte size, over HTTP;
 *  - peak RSS of the API process (started on its own, `--backend embedded|real`) while 32
 *    first-time `large` variants of max-size (5 MB) JPEGs render at once (bench/variant-rss.ts).
 * Steps 1-3 run in this process: on PGlite and a directory, or with `--backend real` on a throwaway
 * PostgreSQL database and s3rver; variant generation is measured from a directory either way, and
 * from s3rver too with `--backend real`.
 */
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createApp } from '../src/app'
import { loadConfig } from '../src/config'
import type { ImageRow } from '../src/db/schema'
import { buildDependencies } from '../src/dependencies'
import { GarbagePacer } from '../src/http/garbage-pacer'
import { ImageRepository } from '../src/images/repository'
import { ImageService } from '../src/images/service'
import { deleteVariants, VariantService } from '../src/images/variants'
import { createLogger } from '../src/logger'
import { loadSharp } from '../src/media/sharp'
import { startServer } from '../src/server'
import { LocalStorage } from '../src/storage/local'
import type { Storage } from '../src/storage/storage'
import { makeJpeg } from '../test/support/images'
import { openBackend } from './backend'
import { makeBaseImages, variant } from './images'
import { withLatency } from './latent-storage'
import { round } from './stats'
import { measureVariantRss } from './variant-rss'

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: { quick: { type: 'boolean' }, backend: { type: 'string', default: 'embedded' } },
})
const quick = values.quick ?? false
const backendKind = values.backend
if (backendKind !== 'embedded' && backendKind !== 'real')
  throw new Error(`--backend must be embedded or real, not ${backendKind}`)
const ROUNDS = quick ? 1 : 3
// Added to each storage call in the variant step's latent-store run.
const LATENCY_MS = 20
const log = (msg: string) => process.stderr.write(`[bench:pixels] ${msg}\n`)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

// Steps 1-3 run in this process on the backend's database and store: PGlite and a directory, or
// PostgreSQL and s3rver (its own process) with `--backend real`.
const backend = await openBackend(backendKind)
const apiKey = `bench-${crypto.randomUUID()}`
const config = loadConfig({ ...backend.apiEnv, API_KEY: apiKey, LOG_LEVEL: 'silent' })
// A throwaway database and an s3rver child are not left behind when the API does not start.
const deps = await buildDependencies(config, createLogger('silent')).catch(async (err) => {
  await backend.teardown()
  throw err
})
const server = startServer(createApp(deps), { hostname: '127.0.0.1', port: 0 })
const base = `http://127.0.0.1:${server.port}`
const repo = new ImageRepository(deps.database.db)
const images = makeBaseImages()
const pixels = { maxPixels: config.limits.maxPixels, locationPolicy: 'keep' as const }
const services = {
  off: new ImageService(repo, deps.storage, config.limits),
  on: new ImageService(repo, deps.storage, config.limits, { pixels }),
}
const upload = (service: ImageService, bytes: Uint8Array) =>
  service.upload({ bytes, filename: 'b.jpg', title: 't', description: '', tags: [], metadata: {} })

/** Runs `task(i)` for i < n with `concurrency` in flight; returns operations per second. */
async function rate(n: number, concurrency: number, task: (i: number) => Promise<unknown>) {
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await task(next++)
    }),
  )
  return (n * 1000) / (performance.now() - started)
}

const results: Record<string, unknown> = { quick, backend: deps.database.kind, rounds: ROUNDS }
try {
  // 1. Upload rate, pipeline on vs off.
  for (const size of ['small', 'large'] as const) {
    const n = (size === 'small' ? 300 : 40) / (quick ? 5 : 1)
    const rates: Record<'on' | 'off', number[]> = { on: [], off: [] }
    for (let r = 0; r < ROUNDS; r++) {
      for (const mode of ['off', 'on'] as const) {
        const label = `${size}-${mode}-${r}`
        rates[mode].push(
          await rate(n, 8, (i) => upload(services[mode], variant(images[size], label, i))),
        )
      }
    }
    const on = median(rates.on)
    const off = median(rates.off)
    results[`upload_${size}`] = {
      bytes: images[size].byteLength,
      off_per_s: round(off),
      on_per_s: round(on),
      ratio: round(on / off),
    }
    log(
      `upload ${size}: off ${off.toFixed(1)}/s, on ${on.toFixed(1)}/s, ratio ${(on / off).toFixed(2)}`,
    )
  }

  // 2. Variant generation vs a bare sharp loop doing the same resize and encode, from a local
  // directory, and with `--backend real` also from s3rver (whose GETs share this machine's cores).
  const count = quick ? 6 : 16
  // More rounds than elsewhere: one round is under a second, and its rate swings with the machine.
  const rounds = quick ? 1 : 5
  // Rendered by both sides first and not counted: the first renders pay for JIT and buffers.
  const warm = 4
  const local =
    deps.storage.kind === 'local'
      ? deps.storage
      : await new LocalStorage(join(backend.apiEnv.DATA_DIR ?? tmpdir(), 'variant-bench')).init()
  const sources: { row: ImageRow; bytes: Uint8Array }[] = []
  for (let i = 0; i < count * rounds + warm; i++) {
    const bytes = variant(images.large, 'variant-source', i)
    const outcome = await upload(services.on, bytes)
    // The same key in the directory too, so the same rows render from either store.
    if (local !== deps.storage) await local.put(outcome.image.s3Key, bytes, 'image/jpeg')
    sources.push({ row: outcome.image, bytes })
  }
  // The API's sharp, so both sides run under its process-wide settings (cache off, 1 thread each).
  const sharp = await loadSharp()
  const bare = (bytes: Uint8Array) =>
    sharp(bytes, { failOn: 'error', pages: 1 })
      .rotate()
      .resize(256, 256, { fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .webp({ quality: 80, effort: 4 })
      .toBuffer()
  const generation = async (storage: Storage, workers = 2) => {
    // Each run renders: variants an earlier run stored in the same store go first (untimed).
    for (const { row } of sources) await deleteVariants(storage, row.md5Hash)
    // Built as src/app.ts builds it, with two render slots.
    const variants = new VariantService(repo, storage, {
      presets: config.pixels.variantPresets,
      maxPixels: config.limits.maxPixels,
      concurrency: 2,
      acrossProcesses: deps.database.kind === 'postgres',
      garbage: new GarbagePacer(config.limits.uploadBufferBytes),
      readBuffers: {
        size: config.limits.maxUploadBytes,
        retained: config.limits.uploadBufferBytes,
      },
    })
    for (const { row, bytes } of sources.slice(0, warm)) {
      await bare(bytes)
      await variants.ensure(row, 'thumb', 'webp')
    }
    const gen: Record<'service' | 'bare', number[]> = { service: [], bare: [] }
    for (let r = 0; r < rounds; r++) {
      const slice = sources.slice(warm + r * count, warm + (r + 1) * count)
      gen.bare.push(await rate(count, workers, (i) => bare(slice[i]?.bytes ?? new Uint8Array())))
      gen.service.push(
        await rate(count, workers, (i) =>
          variants.ensure(slice[i]?.row as ImageRow, 'thumb', 'webp'),
        ),
      )
    }
    const result = {
      storage: storage.kind,
      workers,
      source_bytes: images.large.byteLength,
      rounds,
      bare_per_s: round(median(gen.bare)),
      service_per_s: round(median(gen.service)),
      ratio: round(median(gen.service) / median(gen.bare)),
    }
    log(`variant generation: ${JSON.stringify(result)}`)
    return result
  }
  results.variant_generation = await generation(local)
  if (deps.storage !== local) results.variant_generation_s3 = await generation(deps.storage)
  // A burst of first requests (8 at once, as a gallery page makes) on a store 20 ms away.
  results.variant_generation_latent = {
    latency_ms: LATENCY_MS,
    ...(await generation(withLatency(local, LATENCY_MS), 8)),
  }

  // 3. A cached thumb vs an original of about the same size, over HTTP, 8 clients.
  const thumbRow = sources[0]?.row as ImageRow
  const thumbUrl = `${base}/api/images/${thumbRow.id}/variants/thumb`
  const thumbBytes = (
    await (await fetch(thumbUrl, { headers: { 'X-API-Key': apiKey } })).arrayBuffer()
  ).byteLength
  let similar = makeJpeg(256, 192, { quality: 70, seed: 3 })
  for (const side of [24, 32, 48, 64, 96, 128, 160, 200, 256, 320]) {
    const candidate = makeJpeg(side, Math.round(side * 0.75), { quality: 70, seed: 3 })
    if (Math.abs(candidate.byteLength - thumbBytes) < Math.abs(similar.byteLength - thumbBytes))
      similar = candidate
  }
  const original = (await upload(services.on, similar)).image
  const contentUrl = `${base}/api/images/${original.id}/content`
  const get = async (url: string) => {
    const res = await fetch(url, { headers: { 'X-API-Key': apiKey } })
    await res.arrayBuffer()
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`)
  }
  const serve: Record<'thumb' | 'original', number[]> = { thumb: [], original: [] }
  const requests = quick ? 200 : 1000
  for (let r = 0; r < ROUNDS; r++) {
    serve.original.push(await rate(requests, 8, () => get(contentUrl)))
    serve.thumb.push(await rate(requests, 8, () => get(thumbUrl)))
  }
  results.serving = {
    thumb_bytes: thumbBytes,
    original_bytes: similar.byteLength,
    original_per_s: round(median(serve.original)),
    thumb_per_s: round(median(serve.thumb)),
    ratio: round(median(serve.thumb) / median(serve.original)),
  }
  log(`serving: ${JSON.stringify(results.serving)}`)

  // 4. Peak RSS of a separately started API while 32 first-time `large` variants render.
  results.rss_32_large = await measureVariantRss(backendKind, images.max)
  log(`rss: ${JSON.stringify(results.rss_32_large)}`)
  console.log(JSON.stringify(results, null, 2))
} finally {
  await server.stop(true)
  await deps.database.close()
  await backend.teardown()
}

/**
 * Gallery bench (issue 15): time to first byte of `/` with 50 images, and the bytes a first view
 * transfers apart from thumbnails. The API runs as its own process on the chosen backend
 * (`--backend real`, the default: PostgreSQL + s3rver; `--backend embedded`: PGlite + local).
 *
 *   bun bench/gallery.ts [--backend real|embedded] [--requests 200] [--screenshot docs/gallery.jpg]
 *
 * Targets: TTFB p50 < 50 ms; first view without thumbnails < 300 KB. Exits 1 when one is missed.
 */
import puppeteer from 'puppeteer-core'
import { chromiumPath } from '../test/support/browser'
import { makeJpeg } from '../test/support/images'
import { startApi } from './api-process'
import { type BackendKind, openBackend } from './backend'
import { variant } from './images'
import { round, summarize } from './stats'
import { postUpload } from './upload-client'

const IMAGES = 50
const TTFB_TARGET_MS = 50
const TRANSFER_TARGET_BYTES = 300 * 1024
const WARMUP = 20
const KEY = 'gallery-bench-key-0123456789'

function option(name: string, fallback: string) {
  const at = process.argv.indexOf(`--${name}`)
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback
}

const kind = option('backend', 'real') as BackendKind
const requests = Number(option('requests', '200'))
const screenshotPath = option('screenshot', '')
if (kind !== 'real' && kind !== 'embedded') throw new Error('--backend: real or embedded')
if (!Number.isInteger(requests) || requests < 1) throw new Error('--requests: a positive integer')

const backend = await openBackend(kind)
const api = await startApi({ ...backend.apiEnv, API_KEYS: `bench:${KEY}` })
try {
  // 50 small JPEGs (320×240, ~40 KB; five different pictures), titles half Japanese.
  const bases = [0, 1, 2, 3, 4].map((seed) => makeJpeg(320, 240, { seed, quality: 70 }))
  for (let i = 0; i < IMAGES; i++) {
    const base = bases[i % bases.length] as Uint8Array
    const title = i % 2 ? `海辺の写真 ${i}` : `Harbour ${i}`
    const res = await postUpload(api.url, KEY, variant(base, 'gallery', i), i, {
      title,
      description: 'gallery bench',
      tags: ['bench', i % 3 ? '海' : '山'],
    })
    if (res.status !== 201) throw new Error(`upload ${i}: ${res.status} ${res.body}`)
  }

  const login = await fetch(`${api.url}/gallery/login`, {
    method: 'POST',
    headers: { Origin: api.url, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ key: KEY, next: '/' }),
    redirect: 'manual',
  })
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  if (login.status !== 303 || !cookie) throw new Error(`sign-in: ${login.status}`)

  // TTFB: request sent to response headers received (fetch resolves on the headers), sequential.
  const ttfb: number[] = []
  let htmlBytes = 0
  for (let i = 0; i < WARMUP + requests; i++) {
    const started = performance.now()
    const res = await fetch(`${api.url}/`, { headers: { cookie, 'Accept-Language': 'ja' } })
    const elapsed = performance.now() - started
    const body = await res.text()
    if (res.status !== 200) throw new Error(`GET /: ${res.status}`)
    const cells = body.match(/class="cell"/g)?.length ?? 0
    if (cells < 48) throw new Error(`GET /: ${cells} grid cells, expected 48`)
    htmlBytes = body.length
    if (i >= WARMUP) ttfb.push(elapsed)
  }
  const latency = summarize(ttfb)

  // First view in a fresh browser: every response's bytes on the wire, split by resource type.
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  })
  const transfer = { other: 0, images: 0, requests: [] as string[] }
  try {
    const page = await browser.newPage()
    await page.setViewport({ width: 1280, height: 900 })
    const [name, value] = cookie.split('=')
    await browser.setCookie({
      name: name ?? '',
      value: value ?? '',
      domain: '127.0.0.1',
      path: '/',
    })
    // Japanese, as the old service's users wrote it (the README's picture comes from here).
    await page.setExtraHTTPHeaders({ 'Accept-Language': 'ja' })
    const cdp = await page.createCDPSession()
    await cdp.send('Network.enable')
    const types = new Map<string, { type: string; url: string }>()
    cdp.on('Network.responseReceived', (e) =>
      types.set(e.requestId, { type: e.type, url: e.response.url }),
    )
    cdp.on('Network.loadingFinished', (e) => {
      const seen = types.get(e.requestId)
      if (!seen) return
      if (seen.type === 'Image') transfer.images += e.encodedDataLength
      else {
        transfer.other += e.encodedDataLength
        transfer.requests.push(`${seen.type} ${new URL(seen.url).pathname} ${e.encodedDataLength}`)
      }
    })
    await page.goto(`${api.url}/`, { waitUntil: 'networkidle0' })
    if (screenshotPath) {
      // The README's picture of the grid: the first screen, as a compact JPEG.
      await page.setViewport({ width: 1024, height: 640 })
      const png = screenshotPath.endsWith('.png')
      await page.screenshot({
        path: screenshotPath as `${string}.jpeg`,
        ...(png ? { type: 'png' } : { type: 'jpeg', quality: 70 }),
      })
      console.log(`screenshot: ${screenshotPath}`)
    }
  } finally {
    await browser.close()
  }

  const result = {
    bench: 'gallery',
    backend: kind,
    images: IMAGES,
    requests,
    ttfb_ms: {
      p50: round(latency.p50),
      p90: round(latency.p90),
      p99: round(latency.p99),
      max: round(latency.max),
    },
    html_bytes: htmlBytes,
    first_view_bytes_without_thumbnails: transfer.other,
    thumbnail_bytes: transfer.images,
    first_view_requests: transfer.requests,
  }
  console.log(JSON.stringify(result))
  const ttfbOk = latency.p50 < TTFB_TARGET_MS
  const transferOk = transfer.other < TRANSFER_TARGET_BYTES
  console.log(
    `TTFB of / with ${IMAGES} images (${kind}): p50 ${round(latency.p50)} ms, p90 ${round(latency.p90)} ms, p99 ${round(latency.p99)} ms — target p50 < ${TTFB_TARGET_MS} ms: ${ttfbOk ? 'met' : 'MISSED'}`,
  )
  console.log(
    `first view without thumbnails: ${(transfer.other / 1024).toFixed(1)} KB in ${transfer.requests.length} responses (thumbnails ${(transfer.images / 1024).toFixed(1)} KB) — target < 300 KB: ${transferOk ? 'met' : 'MISSED'}`,
  )
  process.exitCode = ttfbOk && transferOk ? 0 : 1
} finally {
  await api.stop()
  await backend.teardown()
}

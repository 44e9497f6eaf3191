/**
 * Peak RSS of the API process itself (started on its own, as `bun run bench` does) while 32
 * first-time `large` variants of max-size (5 MB) JPEGs are requested at once over HTTP. Part of
 * `bun run bench:pixels`; alone: `bun bench/variant-rss.ts [--backend embedded|real]`.
 */
import { parseArgs } from 'node:util'
import { startApi } from './api-process'
import { type BackendKind, openBackend } from './backend'
import { makeBaseImages, variant } from './images'
import { RssSampler, residentBytes } from './rss'
import { round } from './stats'
import { postUpload } from './upload-client'

const REQUESTS = 32
const MB = 2 ** 20

export type VariantRssResult = {
  backend: BackendKind
  source_bytes: number
  requests: number
  statuses: Record<string, number>
  api_rss_before_mb: number
  api_rss_peak_mb: number
  seconds: number
}

export async function measureVariantRss(
  kind: BackendKind,
  /** The `max` base image (bench/images.ts); each upload gets unique bytes from it. */
  max: Uint8Array,
): Promise<VariantRssResult> {
  const backend = await openBackend(kind)
  const apiKey = `bench-${crypto.randomUUID()}`
  // 32 renders queue behind VARIANT_CONCURRENCY; the last wait longer than the default 30 s idle.
  const api = await startApi({
    ...backend.apiEnv,
    API_KEY: apiKey,
    HTTP_IDLE_TIMEOUT_SECONDS: '255',
  })
  try {
    const ids: string[] = []
    for (let i = 0; i < REQUESTS; i++) {
      const res = await postUpload(api.url, apiKey, variant(max, 'variant-rss', i), i)
      if (res.status !== 201) throw new Error(`upload ${i}: ${res.status} ${res.body}`)
      ids.push((JSON.parse(res.body) as { data: { id: string } }).data.id)
    }
    // Uploads' garbage settles before the window opens (the API paces its own collections).
    await Bun.sleep(2000)
    const before = residentBytes(api.pid)
    const sampler = new RssSampler(api.pid, 10).start()
    const started = performance.now()
    const statuses = await Promise.all(
      ids.map(async (id) => {
        const res = await fetch(`${api.url}/api/images/${id}/variants/large`, {
          headers: { 'X-API-Key': apiKey },
        })
        await res.arrayBuffer()
        return res.status
      }),
    )
    const seconds = (performance.now() - started) / 1000
    const peak = sampler.stop()
    const counted: Record<string, number> = {}
    for (const s of statuses) counted[s] = (counted[s] ?? 0) + 1
    return {
      backend: kind,
      source_bytes: max.byteLength,
      requests: REQUESTS,
      statuses: counted,
      api_rss_before_mb: round(before / MB),
      api_rss_peak_mb: round(peak / MB),
      seconds: round(seconds),
    }
  } finally {
    await api.stop()
    await backend.teardown()
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: { backend: { type: 'string', default: 'embedded' } },
  })
  if (values.backend !== 'embedded' && values.backend !== 'real')
    throw new Error(`--backend must be embedded or real, not ${values.backend}`)
  console.log(JSON.stringify(await measureVariantRss(values.backend, makeBaseImages().max)))
}

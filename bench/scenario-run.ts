import type { ApiProcess } from './api-process'
import { dbSegmentsSent } from './db-round-trips'
import type { Floor } from './floor'
import type { BaseImages } from './images'
import { type LoadResult, runLoad } from './load'
import { type CpuTime, processCpu } from './process-cpu'
import { RssSampler } from './rss'
import { type Budget, bodyPicker, type Scenario, warmupCount } from './scenarios'
import { round, summarize } from './stats'
import { postUpload } from './upload-client'

export type ScenarioResult = {
  kind: 'scenario'
  backend: string
  scenario: string
  size: string
  concurrency: number
  body_bytes: number
  requests: number
  status_201: number
  status_409: number
  status_other: number
  elapsed_s: number
  uploads_per_s: number
  mb_per_s: number
  p50_ms: number
  p90_ms: number
  p99_ms: number
  max_ms: number
  api_peak_rss_mb: number
  /** CPU time (user + system) of the API process over the timed window, per answered upload. */
  api_cpu_ms_per_upload: number | null
  /** The kernel's share of it (system time: sockets, files, page faults). */
  api_system_cpu_ms_per_upload: number | null
  /** Data segments the API sent to the database in the timed window, per answered upload. */
  db_round_trips_per_upload: number | null
  floor_uploads_per_s: number
  floor_p50_ms: number
  api_to_floor: number
}

const MB = 1_000_000

// Answered uploads: a 201 or the expected 409; anything else is a failure, not throughput.
const answered = (r: LoadResult) => r.samples.filter((s) => s.status === 201 || s.status === 409)
const total = (cpu: CpuTime | null) => (cpu ? cpu.userMs + cpu.systemMs : null)
const rate = (r: LoadResult) => answered(r).length / (r.elapsedMs / 1000)

export async function runScenario(
  scenario: Scenario,
  ctx: {
    backend: string
    api: ApiProcess
    apiKey: string
    floor: Floor
    images: BaseImages
    /** Port of the API's database server; absent when the database is in the API process. */
    dbPort?: number
  },
  budget: Budget,
  quick: boolean,
): Promise<ScenarioResult> {
  const { concurrency } = scenario
  const warm = warmupCount(scenario, quick)
  const body = bodyPicker(scenario, ctx.images, 'api', warm)
  const upload = (bytes: Uint8Array, i: number) => postUpload(ctx.api.url, ctx.apiKey, bytes, i)
  await runLoad({
    concurrency,
    requests: warm,
    timeCapMs: 30_000,
    task: (i) => upload(body.warmup(i), i),
  })

  const { pid } = ctx.api
  const segments = () => (ctx.dbPort === undefined ? null : dbSegmentsSent(pid, ctx.dbPort))
  const rss = new RssSampler(pid).start()
  const before = { cpu: processCpu(pid), segments: segments() }
  const api = await runLoad({
    concurrency,
    ...budget,
    task: (i) => upload(body.timed(i).bytes, i),
  })
  const after = { cpu: processCpu(pid), segments: segments() }
  const peakRss = rss.stop()

  // The floor gets the same warm-up, bodies and concurrency, and half the time cap: it is faster.
  const floorBody = bodyPicker(scenario, ctx.images, 'floor', warm)
  await runLoad({
    concurrency,
    requests: warm,
    timeCapMs: 30_000,
    task: (i) => ctx.floor.store(scenario, floorBody.warmup(i), false, i),
  })
  const floor = await runLoad({
    concurrency,
    requests: budget.requests,
    timeCapMs: budget.timeCapMs / 2,
    task: (i) => {
      const { bytes, duplicate } = floorBody.timed(i)
      return ctx.floor.store(scenario, bytes, duplicate, i)
    },
  })

  const ok = answered(api)
  const perUpload = (from: number | null, to: number | null) =>
    from === null || to === null || ok.length === 0 ? null : round((to - from) / ok.length)
  const latency = summarize(api.samples.map((s) => s.ms))
  const count = (status: number) => api.samples.filter((s) => s.status === status).length
  const bodyBytes = ctx.images[scenario.size].byteLength
  return {
    kind: 'scenario',
    backend: ctx.backend,
    scenario: scenario.name,
    size: scenario.size,
    concurrency,
    body_bytes: bodyBytes,
    requests: api.samples.length,
    status_201: count(201),
    status_409: count(409),
    status_other: api.samples.length - count(201) - count(409),
    elapsed_s: round(api.elapsedMs / 1000),
    uploads_per_s: round(rate(api)),
    mb_per_s: round(ok.reduce((sum, s) => sum + s.bytes, 0) / MB / (api.elapsedMs / 1000)),
    p50_ms: round(latency.p50),
    p90_ms: round(latency.p90),
    p99_ms: round(latency.p99),
    max_ms: round(latency.max),
    api_peak_rss_mb: round(peakRss / MB),
    api_cpu_ms_per_upload: perUpload(total(before.cpu), total(after.cpu)),
    api_system_cpu_ms_per_upload: perUpload(
      before.cpu?.systemMs ?? null,
      after.cpu?.systemMs ?? null,
    ),
    db_round_trips_per_upload: perUpload(before.segments, after.segments),
    floor_uploads_per_s: round(rate(floor)),
    floor_p50_ms: round(summarize(floor.samples.map((s) => s.ms)).p50),
    api_to_floor: round(rate(api) / rate(floor)),
  }
}

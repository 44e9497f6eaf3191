import type { QueryResult } from './list-search'
import type { Md5Result } from './md5'
import type { PixelResults } from './pixel-steps'
import type { ScenarioResult } from './scenario-run'
import { PIPELINE_PAIRS } from './scenarios'
import { round } from './stats'

export type RunSummary = {
  kind: 'summary'
  backend: string
  quick: boolean
  startup_ms: number
  restart_ms: number | null
  seeded_rows: number
  md5: Md5Result
  list_search: QueryResult[]
  /** bench/pixels.ts's steps; null when not run (--scenarios without --pixels, or --no-pixels). */
  pixels: PixelResults | null
}

const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`
const na = (n: number | null | undefined) =>
  n === null || n === undefined ? 'n/a' : String(round(n))

/** The Markdown tables printed after the JSON lines; every figure also sits in the JSON. */
export function markdownReport(scenarios: ScenarioResult[], summary: RunSummary): string {
  const lines = [
    `Backend: ${summary.backend}${summary.quick ? ' (quick)' : ''}. API start-up, spawn to first 200` +
      ` from /health: ${round(summary.startup_ms)} ms on an empty data directory/database` +
      (summary.restart_ms === null
        ? ''
        : `, ${round(summary.restart_ms)} ms on a restart with ${summary.seeded_rows} rows`),
    '',
    row([
      'scenario',
      'requests',
      '201',
      '409',
      'other',
      'uploads/s',
      'MB/s',
      'p50 ms',
      'p90 ms',
      'p99 ms',
      'max ms',
      'API peak RSS MB',
      'API CPU ms/upload',
      'DB round trips/upload',
      'floor/s',
      'API/floor',
    ]),
    row(Array(16).fill('---')),
    ...scenarios.map((s) =>
      row([
        s.scenario,
        s.requests,
        s.status_201,
        s.status_409,
        s.status_other,
        s.uploads_per_s,
        s.mb_per_s,
        s.p50_ms,
        s.p90_ms,
        s.p99_ms,
        s.max_ms,
        s.api_peak_rss_mb,
        na(s.api_cpu_ms_per_upload),
        na(s.db_round_trips_per_upload),
        s.floor_uploads_per_s,
        s.api_to_floor,
      ]),
    ),
    ...pipelineTable(scenarios),
    '',
    row(['MD5, 5 MB buffers', 'MB/s']),
    row(['---', '---']),
    row(['Bun.CryptoHasher (upload path)', na(summary.md5.bunMBps)]),
    row(['openssl speed -evp md5, 16 KiB', na(summary.md5.opensslMBps)]),
    row(['ratio Bun / openssl', na(summary.md5.ratio)]),
    '',
    `List and search over ${summary.seeded_rows} seeded rows (plus the uploads above)`,
    '',
    row(['query', 'status', 'items', 'median ms', 'p99 ms']),
    row(['---', '---', '---', '---', '---']),
    ...summary.list_search.map((q) =>
      row([q.name, q.status, na(q.items), na(q.medianMs), na(q.p99Ms)]),
    ),
    ...(summary.pixels ? pixelStepsTable(summary.pixels) : []),
  ]
  return lines.join('\n')
}

/**
 * Each scenario beside its `-undecoded` twin, when both ran: the decode pass's cost as a rate
 * ratio (the measure) and as API CPU per upload.
 */
function pipelineTable(scenarios: ScenarioResult[]): string[] {
  const byName = new Map(scenarios.map((s) => [s.scenario, s]))
  const pairs = PIPELINE_PAIRS.flatMap(({ on, off }) => {
    const withDecode = byName.get(on)
    const without = byName.get(off)
    return withDecode && without ? [{ on: withDecode, off: without }] : []
  })
  if (pairs.length === 0) return []
  return [
    '',
    'Pixel pipeline: each scenario with the decode pass (on) and without it (off, UPLOAD_DECODE=off)',
    '',
    row(['scenario', 'on uploads/s', 'off uploads/s', 'on/off', 'on CPU ms', 'off CPU ms']),
    row(Array(6).fill('---')),
    ...pairs.map(({ on, off }) =>
      row([
        on.scenario,
        on.uploads_per_s,
        off.uploads_per_s,
        off.uploads_per_s > 0 ? round(on.uploads_per_s / off.uploads_per_s) : 'n/a',
        na(on.api_cpu_ms_per_upload),
        na(off.api_cpu_ms_per_upload),
      ]),
    ),
  ]
}

/** bench/pixels.ts's figures against the pixel pipeline's targets (issue 13). */
function pixelStepsTable(p: PixelResults): string[] {
  const rss = p.rss_32_large
  const latent = p.variant_generation_latent
  // label, baseline /s, measured /s, ratio, target; the s3rver and latent-store runs when made.
  type Maybe = number | undefined
  const steps: [string, Maybe, Maybe, Maybe, string][] = [
    [
      'upload small, decode pass off → on (service level)',
      p.upload_small?.off_per_s,
      p.upload_small?.on_per_s,
      p.upload_small?.ratio,
      '≥ 0.85',
    ],
    [
      'upload large, decode pass off → on (service level)',
      p.upload_large?.off_per_s,
      p.upload_large?.on_per_s,
      p.upload_large?.ratio,
      '≥ 0.70',
    ],
    [
      'variant generation: bare sharp → VariantService (local directory)',
      p.variant_generation?.bare_per_s,
      p.variant_generation?.service_per_s,
      p.variant_generation?.ratio,
      '≥ 0.90',
    ],
    ...(p.variant_generation_s3
      ? [generationStep('originals on s3rver (same machine)', p.variant_generation_s3)]
      : []),
    ...(latent
      ? [generationStep(`${latent.workers} at once, store ${latent.latency_ms} ms away`, latent)]
      : []),
    [
      'serving: original → cached thumb of the same size',
      p.serving?.original_per_s,
      p.serving?.thumb_per_s,
      p.serving?.ratio,
      '≥ 0.80',
    ],
  ]
  return [
    '',
    'Pixel pipeline steps (bench/pixels.ts: steps 1-3 in one process, medians of alternating rounds)',
    '',
    row(['step', 'baseline /s', 'measured /s', 'ratio', 'target']),
    row(Array(5).fill('---')),
    ...steps.map(([label, baseline, measured, ratio, target]) =>
      row([label, na(baseline), na(measured), na(ratio), target]),
    ),
    '',
    `32 first-time large variants of ${rss ? round(rss.source_bytes / 1e6) : 'n/a'} MB JPEGs at once: ` +
      `API process RSS ${na(rss?.api_rss_before_mb)} MB before, peak ${na(rss?.api_rss_peak_mb)} MB ` +
      `(target < 600 MB; ${rss?.backend ?? 'n/a'} backend)`,
  ]
}

const generationStep = (
  label: string,
  g: { bare_per_s: number; service_per_s: number; ratio: number },
): [string, number, number, number, string] => [
  `variant generation, ${label}`,
  g.bare_per_s,
  g.service_per_s,
  g.ratio,
  '',
]

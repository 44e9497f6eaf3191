import { type BaseImages, type ImageSize, variant } from './images'

export type Scenario = {
  name: string
  size: ImageSize
  concurrency: number
  /** Share of requests that repeat an already uploaded image (expected 409). */
  duplicateShare: number
  /** Environment the API runs with for this scenario on top of the backend's (a restart if new). */
  apiEnv?: Record<string, string>
}

// The pixel pipeline's cost at upload, kept visible: the same loads with the decode pass off.
const UNDECODED = { UPLOAD_DECODE: 'off' }

export const SCENARIOS: Scenario[] = [
  { name: 'small@1', size: 'small', concurrency: 1, duplicateShare: 0 },
  { name: 'small@8', size: 'small', concurrency: 8, duplicateShare: 0 },
  { name: 'small@32', size: 'small', concurrency: 32, duplicateShare: 0 },
  { name: 'large@8', size: 'large', concurrency: 8, duplicateShare: 0 },
  { name: 'large@32', size: 'large', concurrency: 32, duplicateShare: 0 },
  { name: 'max@8', size: 'max', concurrency: 8, duplicateShare: 0 },
  { name: 'max@32', size: 'max', concurrency: 32, duplicateShare: 0 },
  { name: 'dup50@8', size: 'small', concurrency: 8, duplicateShare: 0.5 },
  {
    name: 'small@1-undecoded',
    size: 'small',
    concurrency: 1,
    duplicateShare: 0,
    apiEnv: UNDECODED,
  },
  {
    name: 'small@32-undecoded',
    size: 'small',
    concurrency: 32,
    duplicateShare: 0,
    apiEnv: UNDECODED,
  },
  {
    name: 'large@8-undecoded',
    size: 'large',
    concurrency: 8,
    duplicateShare: 0,
    apiEnv: UNDECODED,
  },
]

/** Each `-undecoded` scenario and the scenario it is the pipeline-off twin of. */
export const PIPELINE_PAIRS = SCENARIOS.filter((s) => s.apiEnv === UNDECODED).map((s) => ({
  off: s.name,
  on: s.name.replace(/-undecoded$/, ''),
}))

export type Budget = { requests: number; timeCapMs: number }

/** Request counts and time caps; the cap is what bounds a run on a slow backend. */
export function budgetFor(scenario: Scenario, quick: boolean): Budget {
  const requests = { small: 3000, large: 400, max: 200 }[scenario.size]
  return quick
    ? { requests: Math.ceil(requests / 10), timeCapMs: 1000 }
    : { requests, timeCapMs: 8000 }
}

/**
 * Uploads made before timing starts: they open the connections, warm the JIT and fill the
 * duplicate pool. Large bodies get at most 8 (2 when quick), since 32 of 5 MB take seconds.
 */
export const warmupCount = (s: Scenario, quick: boolean) =>
  s.size === 'small' ? Math.max(4, s.concurrency) : Math.min(quick ? 2 : 8, s.concurrency)

/**
 * Body of request `index` of a phase (`api`, `floor`): unique bytes, except that with a duplicate
 * share every k-th request repeats one of the warm-up bodies, which the target already holds.
 */
export function bodyPicker(scenario: Scenario, images: BaseImages, phase: string, pool: number) {
  const base = images[scenario.size]
  const label = `${scenario.name}-${phase}`
  const every = scenario.duplicateShare > 0 ? Math.round(1 / scenario.duplicateShare) : 0
  return {
    warmup: (i: number) => variant(base, `${label}-warm`, i),
    timed: (i: number) => {
      const duplicate = every > 0 && i % every === every - 1
      return duplicate
        ? { bytes: variant(base, `${label}-warm`, i % pool), duplicate }
        : { bytes: variant(base, label, i), duplicate }
    },
  }
}

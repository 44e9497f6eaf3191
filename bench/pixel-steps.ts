import type { BackendKind } from './backend'
import type { VariantRssResult } from './variant-rss'

type Ratio = { ratio: number }
type VariantGeneration = Ratio & {
  storage: string
  workers: number
  bare_per_s: number
  service_per_s: number
}

/** What `bench/pixels.ts` prints: its four steps (see there), each with its ratio or figure. */
export type PixelResults = {
  upload_small?: Ratio & { off_per_s: number; on_per_s: number }
  upload_large?: Ratio & { off_per_s: number; on_per_s: number }
  /** From a local directory; `_s3` from s3rver, with `--backend real` only. */
  variant_generation?: VariantGeneration
  variant_generation_s3?: VariantGeneration
  /** 8 requests at once, every storage call 20 ms late (bench/latent-storage.ts). */
  variant_generation_latent?: VariantGeneration & { latency_ms: number }
  serving?: Ratio & { original_per_s: number; thumb_per_s: number }
  rss_32_large?: VariantRssResult
}

const ROOT = new URL('..', import.meta.url).pathname

/**
 * Runs `bench/pixels.ts` as a child process on this run's kind of backend; it opens backends of
 * its own (a throwaway database and s3rver with `real`), so the run's data stays as it was.
 */
export async function runPixelSteps(kind: BackendKind, quick: boolean): Promise<PixelResults> {
  const child = Bun.spawn(
    ['bun', 'bench/pixels.ts', '--backend', kind, ...(quick ? ['--quick'] : [])],
    { cwd: ROOT, stdout: 'pipe', stderr: 'inherit' },
  )
  const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited])
  if (code !== 0) throw new Error(`bench/pixels.ts exited with ${code}`)
  return JSON.parse(out) as PixelResults
}

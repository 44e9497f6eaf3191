import type { Backend } from './backend'
import type { VariantRssResult } from './variant-rss'

type Ratio = { ratio: number }

/** What `bench/pixels.ts` prints: its four steps (see there), each with its ratio or figure. */
export type PixelResults = {
  upload_small?: Ratio & { off_per_s: number; on_per_s: number }
  upload_large?: Ratio & { off_per_s: number; on_per_s: number }
  variant_generation?: Ratio & { bare_per_s: number; service_per_s: number }
  serving?: Ratio & { original_per_s: number; thumb_per_s: number }
  rss_32_large?: VariantRssResult
}

const ROOT = new URL('..', import.meta.url).pathname

/**
 * Runs `bench/pixels.ts` as a child process against this run's backend: with `real`, its in-process
 * steps use the run's own (throwaway) database; its RSS step starts an API on a backend of its own.
 */
export async function runPixelSteps(backend: Backend, quick: boolean): Promise<PixelResults> {
  const databaseUrl = backend.apiEnv.DATABASE_URL
  const child = Bun.spawn(
    ['bun', 'bench/pixels.ts', '--backend', backend.kind, ...(quick ? ['--quick'] : [])],
    {
      cwd: ROOT,
      env: { ...process.env, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) },
      stdout: 'pipe',
      stderr: 'inherit',
    },
  )
  const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited])
  if (code !== 0) throw new Error(`bench/pixels.ts exited with ${code}`)
  return JSON.parse(out) as PixelResults
}

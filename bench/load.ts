/** One finished request: wall time in ms, HTTP status (0 = transport error), request body bytes. */
export type Sample = { ms: number; status: number; bytes: number }

export type LoadResult = { samples: Sample[]; elapsedMs: number }

export type LoadOptions = {
  concurrency: number
  /** Upper bound on requests issued. */
  requests: number
  /** Upper bound on wall time; workers stop taking new requests after it. */
  timeCapMs: number
  /** Performs request `index` and reports its status and body size. */
  task: (index: number) => Promise<{ status: number; bytes: number }>
}

/** Closed loop: each worker sends its next request only when the previous one has finished. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const samples: Sample[] = []
  const started = performance.now()
  const deadline = started + options.timeCapMs
  let next = 0
  const worker = async () => {
    while (next < options.requests && performance.now() < deadline) {
      const index = next++
      const t0 = performance.now()
      let outcome = { status: 0, bytes: 0 }
      try {
        outcome = await options.task(index)
      } catch {
        // A transport error counts as status 0 so the run carries on and reports it.
      }
      samples.push({ ms: performance.now() - t0, ...outcome })
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  return { samples, elapsedMs: performance.now() - started }
}

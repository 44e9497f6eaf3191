import type { Logger } from '../logger'

/** The object of a deleted row: removed unless a new row took the same content meanwhile. */
export type LeftObject = { md5Hash: string; s3Key: string }

export type ObjectSweepOptions = {
  /** First retry after this long; doubles per failure up to `maxRetryMs`. */
  firstRetryMs?: number
  maxRetryMs?: number
  /** Objects remembered at once; beyond it they are left to `reconcile --apply` (logged). */
  maxPending?: number
}

type Entry = { object: LeftObject; failures: number; dueAt: number }

/** An error's code (ours, the driver's or its cause's), never its message: SQL errors carry values. */
function errorCode(err: unknown): string {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; i++) {
    if (typeof e.code === 'string' || typeof e.code === 'number') return String(e.code)
    e = e.cause as typeof e
  }
  return err instanceof Error ? err.name : 'error'
}

/**
 * Removes, in the background, objects whose row was deleted but whose removal failed (storage or
 * database down). In memory only: objects still pending when the process stops are orphans that
 * `reconcile --apply` removes; the warning logged here names each one.
 */
export class ObjectSweep {
  readonly #pending = new Map<string, Entry>()
  readonly #firstRetryMs: number
  readonly #maxRetryMs: number
  readonly #maxPending: number
  #timer: ReturnType<typeof setTimeout> | undefined
  #running = false

  constructor(
    private readonly remove: (object: LeftObject) => Promise<'removed' | 'in use'>,
    private readonly logger: Logger,
    options: ObjectSweepOptions = {},
  ) {
    this.#firstRetryMs = options.firstRetryMs ?? 1000
    this.#maxRetryMs = options.maxRetryMs ?? 5 * 60_000
    this.#maxPending = options.maxPending ?? 10_000
  }

  get size() {
    return this.#pending.size
  }

  add(object: LeftObject, cause: unknown) {
    const full = this.#pending.size >= this.#maxPending && !this.#pending.has(object.s3Key)
    this.logger.warn('object left behind by a delete', {
      s3_key: object.s3Key,
      err: errorCode(cause),
      retry: full ? 'no: sweep full, run reconcile --apply' : 'in the background',
    })
    if (full || this.#pending.has(object.s3Key)) return
    this.#pending.set(object.s3Key, {
      object,
      failures: 0,
      dueAt: Date.now() + this.#firstRetryMs,
    })
    this.#schedule()
  }

  /** Stops retrying; what is pending stays for `reconcile --apply`. */
  stop() {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#pending.clear()
  }

  #schedule() {
    if (this.#running) return
    clearTimeout(this.#timer)
    let next = Number.POSITIVE_INFINITY
    for (const entry of this.#pending.values()) next = Math.min(next, entry.dueAt)
    if (next === Number.POSITIVE_INFINITY) return
    this.#timer = setTimeout(() => void this.#run(), Math.max(0, next - Date.now()))
    // Never what keeps a process alive: on exit, pending objects are reconcile's.
    this.#timer.unref?.()
  }

  async #run() {
    this.#running = true
    try {
      for (const [key, entry] of [...this.#pending]) {
        if (entry.dueAt > Date.now()) continue
        try {
          const outcome = await this.remove(entry.object)
          this.#pending.delete(key)
          this.logger.info('left-behind object swept', { s3_key: key, outcome })
        } catch (err) {
          entry.failures++
          const delay = Math.min(this.#maxRetryMs, this.#firstRetryMs * 2 ** entry.failures)
          entry.dueAt = Date.now() + delay
          this.logger.debug('left-behind object still not removed', {
            s3_key: key,
            err: errorCode(err),
            retry_in_ms: delay,
          })
        }
      }
    } finally {
      this.#running = false
      this.#schedule()
    }
  }
}

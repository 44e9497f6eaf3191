import { round, summarize } from './stats'

export const OPS = ['upload', 'duplicate', 'list', 'get', 'content', 'delete', 'patch'] as const
export type Op = (typeof OPS)[number]

export type Failure = { op: Op; status: number; detail: string }

const KEPT_FAILURES = 5

/** Every request the soak made: latency and status per operation, and the unexpected ones. */
export class Tally {
  readonly #ms = new Map<Op, number[]>(OPS.map((op) => [op, []]))
  readonly #statuses = new Map<Op, Map<number, number>>(OPS.map((op) => [op, new Map()]))
  readonly failures: Failure[] = []
  errors = 0
  serverErrors = 0

  record(op: Op, status: number, ms: number) {
    this.#ms.get(op)?.push(ms)
    const statuses = this.#statuses.get(op)
    statuses?.set(status, (statuses.get(status) ?? 0) + 1)
    if (status >= 500) this.serverErrors++
  }

  /** An unexpected status or a wrong answer; the first few keep their body for the report. */
  fail(op: Op, status: number, detail: string) {
    this.errors++
    if (this.failures.length < KEPT_FAILURES) {
      this.failures.push({ op, status, detail: detail.slice(0, 300) })
    }
  }

  get total() {
    let n = 0
    for (const ms of this.#ms.values()) n += ms.length
    return n
  }

  summary(elapsedS: number) {
    const ops: Record<string, unknown> = {}
    for (const op of OPS) {
      const ms = this.#ms.get(op) ?? []
      const latency = summarize(ms)
      ops[op] = {
        count: ms.length,
        statuses: Object.fromEntries(this.#statuses.get(op) ?? []),
        per_s: round(ms.length / elapsedS),
        p50_ms: ms.length ? round(latency.p50) : null,
        p99_ms: ms.length ? round(latency.p99) : null,
      }
    }
    return {
      requests: this.total,
      ops_per_s: round(this.total / elapsedS),
      server_errors: this.serverErrors,
      errors: this.errors,
      ops,
    }
  }
}

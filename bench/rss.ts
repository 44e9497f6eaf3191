import { readFileSync, writeFileSync } from 'node:fs'

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8')
    const match = text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))
    return match ? Number(match[1]) * 1024 : 0
  } catch {
    return 0
  }
}

/** A process's resident memory now (VmRSS), in bytes; 0 without /proc. */
export const residentBytes = (pid: number) => statusField(pid, 'VmRSS')

/** Samples a process's RSS every `everyMs`; `peak()` is the highest sample or VmHWM since reset. */
export class RssSampler {
  #peak = 0
  #timer: Timer | undefined

  constructor(
    private readonly pid: number,
    private readonly everyMs = 50,
  ) {}

  start() {
    // Writing 5 to clear_refs resets VmHWM (Linux 4.0+), so the peak belongs to this window only.
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5')
    } catch {}
    this.#peak = statusField(this.pid, 'VmRSS')
    this.#timer = setInterval(() => {
      this.#peak = Math.max(this.#peak, statusField(this.pid, 'VmRSS'))
    }, this.everyMs)
    return this
  }

  /** Stops sampling and returns the peak in bytes. */
  stop(): number {
    clearInterval(this.#timer)
    return Math.max(this.#peak, statusField(this.pid, 'VmHWM'))
  }
}

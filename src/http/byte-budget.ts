/**
 * Admission control by bytes: request bodies are buffered only while their declared size fits in
 * the budget, so memory stays bounded however many large uploads arrive at once; the rest wait
 * their turn (first come, first served), for a bounded time, instead of all being held at once.
 */
export class ByteBudget {
  #available: number
  readonly #waiting: { bytes: number; admit: () => void }[] = []

  constructor(readonly total: number) {
    this.#available = total
  }

  /**
   * Waits until `bytes` (capped at the total) are free, at most `timeoutMs`; resolves with the
   * function that gives them back, or with null when the wait timed out.
   */
  async acquire(bytes: number, timeoutMs = Number.POSITIVE_INFINITY): Promise<(() => void) | null> {
    const n = Math.min(Math.max(bytes, 0), this.total)
    if (this.#waiting.length > 0 || n > this.#available) {
      const admitted = await new Promise<boolean>((resolve) => {
        const entry = { bytes: n, admit: () => resolve(true) }
        this.#waiting.push(entry)
        if (Number.isFinite(timeoutMs)) {
          const timer = setTimeout(() => {
            const at = this.#waiting.indexOf(entry)
            if (at === -1) return
            this.#waiting.splice(at, 1)
            this.#admitWaiting() // the next in line may fit now that this one gave up
            resolve(false)
          }, timeoutMs)
          entry.admit = () => {
            clearTimeout(timer)
            resolve(true)
          }
        }
      })
      if (!admitted) return null
    } else {
      this.#available -= n
    }
    let released = false
    return () => {
      if (released) return
      released = true
      this.#available += n
      this.#admitWaiting()
    }
  }

  #admitWaiting() {
    for (
      let next = this.#waiting[0];
      next && next.bytes <= this.#available;
      next = this.#waiting[0]
    ) {
      this.#waiting.shift()
      this.#available -= next.bytes
      next.admit()
    }
  }
}

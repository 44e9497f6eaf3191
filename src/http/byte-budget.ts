/**
 * Admission control by bytes: request bodies are buffered only while their declared size fits in
 * the budget, so memory stays bounded however many large uploads arrive at once; the rest wait
 * their turn (first come, first served) instead of all being held at the same time.
 */
export class ByteBudget {
  #available: number
  readonly #waiting: { bytes: number; resume: () => void }[] = []

  constructor(readonly total: number) {
    this.#available = total
  }

  /** Waits until `bytes` (capped at the total) are free; the returned function gives them back. */
  async acquire(bytes: number): Promise<() => void> {
    const n = Math.min(Math.max(bytes, 0), this.total)
    if (this.#waiting.length > 0 || n > this.#available) {
      await new Promise<void>((resume) => this.#waiting.push({ bytes: n, resume }))
    } else {
      this.#available -= n
    }
    let released = false
    return () => {
      if (released) return
      released = true
      this.#available += n
      this.#admit()
    }
  }

  #admit() {
    for (
      let next = this.#waiting[0];
      next && next.bytes <= this.#available;
      next = this.#waiting[0]
    ) {
      this.#waiting.shift()
      this.#available -= next.bytes
      next.resume()
    }
  }
}

import { describeError } from '../db/errors'
import type { Logger } from '../logger'
import type { Analyzer } from './analyzer'

export type WorkerOptions = { pollIntervalMs: number; batchSize?: number; logger: Logger }

/**
 * Background loop in the API process: claims due analyses from the database and runs them. All
 * state lives in PostgreSQL, so any replica may run one and a crashed one's work resumes elsewhere.
 */
export class AnalysisWorker {
  private running = false
  private timer: ReturnType<typeof setTimeout> | undefined
  private wake: (() => void) | undefined
  private loop: Promise<void> | undefined

  constructor(
    private readonly analyzer: Pick<Analyzer, 'processDue'>,
    private readonly options: WorkerOptions,
  ) {}

  start() {
    if (this.running) return
    this.running = true
    this.loop = this.run()
  }

  /** Stops polling and waits for the attempts in flight (each bounded by the Gemini timeout). */
  async stop() {
    this.running = false
    clearTimeout(this.timer)
    this.wake?.()
    await this.loop
    this.loop = undefined
  }

  private async run() {
    const batchSize = this.options.batchSize ?? 4
    while (this.running) {
      let claimed = 0
      try {
        claimed = await this.analyzer.processDue(batchSize)
      } catch (err) {
        // A database hiccup must not end the loop; the next tick tries again.
        this.options.logger.warn('analysis worker tick failed', { err: describeError(err) })
      }
      // A full batch suggests more is due: go again at once, otherwise wait for the next poll.
      if (claimed < batchSize && this.running) await this.sleep(this.options.pollIntervalMs)
    }
  }

  private sleep(ms: number) {
    return new Promise<void>((resolve) => {
      this.wake = resolve
      this.timer = setTimeout(resolve, ms)
    })
  }
}

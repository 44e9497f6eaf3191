import type { Logger } from '../logger'

/** What looking the configured model up came to. */
export type LookupResult =
  | { kind: 'usable' }
  /** The model cannot be used with this configuration: unknown, retired, no image input, bad key. */
  | { kind: 'unusable'; reason: string }
  /** No verdict (network trouble, 5xx, 429): ask again later. */
  | { kind: 'retry'; error: string }

/** Looks a model up at the provider; implemented by the Gemini client. */
export interface ModelLookup {
  readonly model: string
  lookup(): Promise<LookupResult>
}

export type ModelHealth =
  | { status: 'checking'; model: string; error?: string }
  | { status: 'up'; model: string }
  | { status: 'degraded'; model: string; error: string }

export type ModelCheckOptions = {
  logger: Logger
  /** First delay before asking again after no verdict; doubles up to `retryMaxMs`. */
  retryBaseMs: number
  /** Also how long an unusable model waits before it is looked up again. */
  retryMaxMs: number
}

/**
 * Whether the configured model can be used, as far as this process knows: looked up once at start
 * (in the background; network trouble is retried with backoff, start-up never waits for it), and
 * marked unusable when an analysis is refused because of the model. While unusable, analyses fail
 * at once with the reason instead of calling Gemini, and the model is looked up again every
 * `retryMaxMs`, so one that comes back is used again without a manual step.
 */
export class ModelCheck {
  private state: ModelHealth
  private timer: ReturnType<typeof setTimeout> | undefined
  private running = false
  private failures = 0
  private inFlight: Promise<void> | undefined
  private readonly concluded: Promise<void>
  private conclude: () => void = () => {}

  constructor(
    private readonly lookup: ModelLookup,
    private readonly options: ModelCheckOptions,
  ) {
    this.state = { status: 'checking', model: lookup.model }
    this.concluded = new Promise((resolve) => {
      this.conclude = resolve
    })
  }

  /** Starts the background look-up; returns at once. */
  start() {
    if (this.running) return
    this.running = true
    this.schedule(0)
  }

  async stop() {
    this.running = false
    clearTimeout(this.timer)
    await this.inFlight
  }

  /** Resolves once a look-up has given a verdict (usable or not). */
  settled() {
    return this.concluded
  }

  health(): ModelHealth {
    return this.state
  }

  /** The reason analyses cannot run now, or undefined when they may. */
  unusableReason(): string | undefined {
    return this.state.status === 'degraded' ? this.state.error : undefined
  }

  /** An analysis was refused because of the model itself. */
  markUnusable(answer: string) {
    if (this.state.status === 'degraded') return
    this.degrade(answer)
    if (this.running) this.schedule(this.options.retryMaxMs)
  }

  private schedule(ms: number) {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.inFlight = this.check()
    }, ms)
    // Never keeps a CLI or a stopping process alive on its own.
    this.timer.unref?.()
  }

  private async check() {
    let result: LookupResult
    try {
      result = await this.lookup.lookup()
    } catch (err) {
      result = { kind: 'retry', error: err instanceof Error ? err.message : String(err) }
    }
    if (!this.running) return
    const { model } = this.lookup
    if (result.kind === 'usable') {
      if (this.state.status !== 'up') this.options.logger.info('Gemini model ready', { model })
      this.state = { status: 'up', model }
      this.failures = 0
      this.conclude()
    } else if (result.kind === 'unusable') {
      this.failures = 0
      this.degrade(result.reason)
      this.schedule(this.options.retryMaxMs)
    } else {
      // No verdict: keep the previous one (analyses keep trying Gemini meanwhile) and ask again.
      if (this.state.status === 'checking') this.state = { ...this.state, error: result.error }
      const { retryBaseMs, retryMaxMs } = this.options
      const delay = Math.min(retryMaxMs, retryBaseMs * 2 ** this.failures++)
      this.options.logger.warn('Gemini model check got no answer; retrying in the background', {
        model,
        error: result.error,
        retry_in_ms: delay,
      })
      this.schedule(delay)
    }
  }

  private degrade(answer: string) {
    const { model } = this.lookup
    // A refused key is a different fix from a wrong model name: name the variable to change.
    const variable = /\bAPI[ _]?key\b/i.test(answer) ? 'GEMINI_API_KEY' : 'GEMINI_MODEL'
    const error =
      variable === 'GEMINI_MODEL'
        ? `GEMINI_MODEL "${model}" cannot be used: ${answer}`
        : `GEMINI_API_KEY was refused (GEMINI_MODEL "${model}"): ${answer}`
    // A periodic look-up repeating the same answer is not news.
    if (this.state.status === 'degraded' && this.state.error === error) return
    this.state = { status: 'degraded', model, error }
    const fix =
      variable === 'GEMINI_MODEL'
        ? 'Set GEMINI_MODEL to a current model that takes images.'
        : 'Check GEMINI_API_KEY.'
    this.options.logger.error(`${error}. ${fix}`, {
      variable,
      model,
      answer,
    })
    this.conclude()
  }
}

import type { ImageRow, NewImageRow } from '../db/schema'
import type { Logger } from '../logger'
import { inspectImage, UNKNOWN_TYPE } from '../media/inspect'
import { ObjectNotFound } from '../storage/errors'
import type { Storage } from '../storage/storage'
import { cleanModelText } from './clean-text'
import type { ImageDescriber } from './gemini-client'
import type { ModelCheck } from './model-check'
import type { AnalysisOutcome } from './outcome'
import type { AnalysisPatch, AnalysisRepository } from './repository'

/** The type of bytes whose row has none yet (adopted, not backfilled). */
const sniffedType = (bytes: Uint8Array) => {
  const result = inspectImage(bytes)
  return result.ok ? result.info.mimetype : UNKNOWN_TYPE
}

/**
 * The formats Gemini accepts as inline image data, among those the upload takes (Gemini also reads
 * HEIC/HEIF, which the upload never produces); anything else is `skipped`.
 */
export const GEMINI_IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp'])

export type AnalyzerOptions = {
  prompt: string
  timeoutMs: number
  maxAttempts: number
  retryBaseMs: number
  retryMaxMs: number
  /** Longest stored description in characters; longer model output is cut. */
  maxOutputChars: number
  logger: Logger
  /** Whether the configured model is usable; absent means "assume it is". */
  modelCheck?: Pick<ModelCheck, 'unusableReason' | 'markUnusable'>
  /** Source of jitter in [0, 1); injectable so tests can pin it. */
  random?: () => number
}

export type AnalysisResult = { image: ImageRow; settled: boolean }

/** sha256 of the prompt, first 16 hex digits: tells which prompt produced a stored description. */
export const promptHash = (prompt: string) =>
  new Bun.CryptoHasher('sha256').update(prompt).digest('hex').slice(0, 16)

/**
 * Decides what happens to an image's analysis: first attempt at upload, retries with backoff,
 * when to give up. Never throws for a Gemini problem: every outcome ends up in the row.
 */
export class Analyzer {
  /** How long a claim protects a row from other workers: longer than any single attempt. */
  readonly leaseMs: number

  constructor(
    private readonly describer: ImageDescriber,
    private readonly repo: AnalysisRepository,
    private readonly storage: Storage,
    private readonly options: AnalyzerOptions,
  ) {
    this.leaseMs = options.timeoutMs * 2 + 5_000
  }

  supports(mimetype: string) {
    return GEMINI_IMAGE_TYPES.has(mimetype)
  }

  /** The analysis columns of a new row: pending (leased to the uploader) or skipped. */
  initialStatus(mimetype: string): Pick<NewImageRow, 'analysisStatus' | 'analysisNextAttemptAt'> {
    if (!this.supports(mimetype)) return { analysisStatus: 'skipped', analysisNextAttemptAt: null }
    // The uploader analyses it first; the worker only takes over if that never finishes.
    return {
      analysisStatus: 'pending',
      analysisNextAttemptAt: new Date(Date.now() + this.leaseMs),
    }
  }

  /** The first attempt for a just-created row, bounded by the timeout; returns the row as it is. */
  async analyzeOnUpload(image: ImageRow, bytes: Uint8Array): Promise<ImageRow> {
    if (image.analysisStatus !== 'pending') return image
    const claimed = await this.repo.claimPending(image.id, this.leaseMs)
    if (!claimed) return (await this.repo.findById(image.id)) ?? image
    return (await this.attempt(claimed, bytes)).image
  }

  /**
   * Runs a fresh analysis now, optionally with another prompt. `settled` is false when it fell
   * back to the background (which uses the configured prompt). Undefined for an unknown id.
   */
  async analyzeNow(id: string, prompt?: string): Promise<AnalysisResult | undefined> {
    const claimed = await this.repo.claimRestart(id, this.leaseMs)
    return claimed && this.attemptStored(claimed, prompt)
  }

  /** Claims and analyses due rows (the worker's tick); returns how many were claimed. */
  async processDue(limit: number): Promise<number> {
    const claimed = await this.repo.claimDue(limit, this.leaseMs)
    await Promise.all(claimed.map((row) => this.attemptStored(row)))
    return claimed.length
  }

  /** An attempt with the bytes read from storage; a missing or unreadable object is recorded. */
  private async attemptStored(claimed: ImageRow, prompt?: string) {
    const bytes = await this.readBytes(claimed)
    if (bytes instanceof Error) return this.record(claimed, this.storageOutcome(bytes))
    return this.attempt(claimed, bytes, prompt)
  }

  private async attempt(claimed: ImageRow, bytes: Uint8Array, prompt = this.options.prompt) {
    return this.record(claimed, await this.outcomeOf(claimed, bytes, prompt), prompt)
  }

  private async outcomeOf(claimed: ImageRow, bytes: Uint8Array, prompt: string) {
    const { maxAttempts, modelCheck } = this.options
    // Claims beyond the limit were never recorded (a crash, a failed write): stop here.
    if (claimed.analysisAttempts > maxAttempts) {
      const error = `Gave up after ${maxAttempts} attempts${claimed.analysisError ? `; last error: ${claimed.analysisError}` : ''}`
      return { kind: 'permanent', error } satisfies AnalysisOutcome
    }
    const unusable = modelCheck?.unusableReason()
    if (unusable) return { kind: 'model-unavailable', error: unusable } satisfies AnalysisOutcome
    let outcome: AnalysisOutcome
    try {
      outcome = await this.describer.describe(
        bytes,
        claimed.mimetype ?? sniffedType(bytes),
        prompt,
        this.options.timeoutMs,
      )
    } catch (err) {
      // The client classifies every Gemini failure; anything reaching here is unforeseen.
      outcome = { kind: 'retryable', error: `Analysis failed: ${(err as Error).name ?? 'Error'}` }
    }
    if (outcome.kind === 'model-unavailable' && modelCheck) {
      modelCheck.markUnusable(outcome.error)
      outcome = { ...outcome, error: modelCheck.unusableReason() ?? outcome.error }
    }
    return outcome
  }

  private async record(
    claimed: ImageRow,
    outcome: AnalysisOutcome,
    prompt = this.options.prompt,
  ): Promise<AnalysisResult> {
    if (outcome.kind === 'text') {
      // Stored as text and indexed for search: no characters PostgreSQL refuses, bounded length.
      const text = cleanModelText(outcome.text, this.options.maxOutputChars)
      outcome = text
        ? { kind: 'text', text }
        : { kind: 'permanent', error: 'Gemini returned no text' }
    }
    const attempts = claimed.analysisAttempts
    let written: ImageRow | undefined
    try {
      written = await this.repo.finish(claimed, this.patchFor(outcome, attempts, prompt))
    } catch (err) {
      // The attempt was counted at the claim; record that it could not be stored, so the
      // attempt limit still applies (an unstorable result must not be retried forever).
      const error = `Could not record the analysis result: ${describeDbError(err)}`
      this.options.logger.warn('could not record an analysis result', { id: claimed.id, error })
      outcome = { kind: 'retryable', error }
      written = await this.repo.finish(claimed, this.patchFor(outcome, attempts, prompt))
    }
    this.options.logger.info('image analysis attempt', {
      id: claimed.id,
      attempt: attempts,
      outcome: outcome.kind,
      status: written?.analysisStatus ?? 'superseded',
      // Already scrubbed of the API key by the client.
      ...(outcome.kind === 'text' ? {} : { error: outcome.error }),
    })
    if (written) return { image: written, settled: written.analysisStatus !== 'pending' }
    // Another claim took the row over meanwhile; report the row as it now is.
    const current = (await this.repo.findById(claimed.id)) ?? claimed
    return { image: current, settled: current.analysisStatus !== 'pending' }
  }

  /** The row's analysis columns after this outcome of attempt number `attempts`. */
  private patchFor(outcome: AnalysisOutcome, attempts: number, prompt: string): AnalysisPatch {
    if (outcome.kind === 'text') {
      return {
        analysisStatus: 'done',
        geminiAnalysis: outcome.text,
        analysisModel: this.describer.model,
        analysisPromptHash: promptHash(prompt),
        analysisError: null,
        analysisNextAttemptAt: null,
        analyzedAt: new Date(),
      }
    }
    if (
      outcome.kind === 'permanent' ||
      outcome.kind === 'model-unavailable' ||
      attempts >= this.options.maxAttempts
    ) {
      return { analysisStatus: 'failed', analysisError: outcome.error, analysisNextAttemptAt: null }
    }
    const delay = Math.max(
      this.backoff(attempts),
      outcome.kind === 'rate-limited' ? (outcome.retryAfterMs ?? 0) : 0,
    )
    return {
      analysisStatus: 'pending',
      analysisError: outcome.error,
      analysisNextAttemptAt: new Date(Date.now() + delay),
    }
  }

  /** Exponential backoff with jitter in [50%, 100%] of the step, capped. */
  private backoff(attempts: number) {
    const { retryBaseMs, retryMaxMs, random = Math.random } = this.options
    const step = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.max(0, attempts - 1))
    return Math.round(step * (0.5 + random() * 0.5))
  }

  private async readBytes(row: ImageRow): Promise<Uint8Array | Error> {
    try {
      return await new Response(await this.storage.read(row.s3Key)).bytes()
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err))
    }
  }

  private storageOutcome(err: Error): AnalysisOutcome {
    if (err instanceof ObjectNotFound) return { kind: 'permanent', error: err.message }
    return { kind: 'retryable', error: `Could not read the image from storage: ${err.name}` }
  }
}

/** A database error in a form safe to store and log: its SQLSTATE, never the values. */
function describeDbError(err: unknown) {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; i++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return `SQLSTATE ${e.code}`
    e = e.cause as typeof e
  }
  return err instanceof Error ? err.name : 'unknown error'
}

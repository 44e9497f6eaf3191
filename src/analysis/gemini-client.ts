import {
  ApiError,
  type Fetch,
  type GenerateContentResponse,
  GoogleGenAI,
  type Model,
} from '@google/genai'
import type { Config } from '../config'
import type { LookupResult, ModelLookup } from './model-check'
import {
  type AnalysisOutcome,
  errorBodyMessage,
  isModelUnavailable,
  parseRetryAfter,
  retryDelayFromBody,
  scrubError,
} from './outcome'

export type GeminiConfig = NonNullable<Config['gemini']>

/** Describes one image; the analyzer depends on this, not on the SDK. */
export interface ImageDescriber {
  readonly model: string
  describe(
    bytes: Uint8Array,
    mimetype: string,
    prompt: string,
    timeoutMs: number,
  ): Promise<AnalysisOutcome>
}

// Model families that answer generateContent but take no image input (speech, media generation).
// The API's model metadata lists methods, not input types, so the name is all there is to go on.
const NO_IMAGE_INPUT = /(^|[-/])(embedding|tts|imagen|veo|lyria|aqa|transcribe)([-.]|$)/i

/** Why a looked-up model cannot describe images, or undefined when nothing says it cannot. */
export function imageInputProblem(model: Model): string | undefined {
  const actions = model.supportedActions
  if (actions && !actions.includes('generateContent')) {
    return `the model does not support generateContent (it supports: ${actions.join(', ') || 'nothing'})`
  }
  if (NO_IMAGE_INPUT.test(model.name ?? '')) return 'the model does not take image input'
  return undefined
}

/** Gemini through `@google/genai`: one generateContent call per image, outcome classified. */
export class GeminiClient implements ImageDescriber, ModelLookup {
  private readonly ai: GoogleGenAI

  constructor(private readonly config: GeminiConfig) {
    this.ai = new GoogleGenAI({
      apiKey: config.apiKey,
      httpOptions: { baseUrl: config.baseUrl, timeout: config.timeoutMs },
    })
  }

  get model() {
    return this.config.model
  }

  /** `models.get` for the configured model: does it exist, and can it take an image? */
  async lookup(): Promise<LookupResult> {
    const safe = (message: string) => scrubError(message, this.config.apiKey)
    try {
      const model = await this.ai.models.get({
        model: this.config.model,
        config: { abortSignal: AbortSignal.timeout(this.config.timeoutMs) },
      })
      const problem = imageInputProblem(model)
      return problem ? { kind: 'unusable', reason: problem } : { kind: 'usable' }
    } catch (err) {
      if (err instanceof ApiError) {
        const answer = safe(`Google answered HTTP ${err.status}: ${errorBodyMessage(err.message)}`)
        // 4xx other than timeout and quota: this model, key or project will not work as configured.
        const transient = err.status === 408 || err.status === 429 || err.status >= 500
        return transient ? { kind: 'retry', error: answer } : { kind: 'unusable', reason: answer }
      }
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
      return { kind: 'retry', error: safe(`Gemini model lookup failed: ${message}`) }
    }
  }

  async describe(bytes: Uint8Array, mimetype: string, prompt: string, timeoutMs: number) {
    let retryAfter: string | null = null
    // The SDK's ApiError drops the headers, so Retry-After is captured on the way through.
    const capture: Fetch = async (input, init) => {
      const res = await fetch(input, init)
      retryAfter = res.headers.get('retry-after')
      return res
    }
    // No SDK retries (none unless retryOptions is set): the analyzer owns the retry policy.
    const signal = AbortSignal.timeout(timeoutMs)
    try {
      const response = await this.ai.models.generateContent({
        model: this.config.model,
        contents: [
          {
            role: 'user',
            parts: [
              { inlineData: { mimeType: mimetype, data: Buffer.from(bytes).toString('base64') } },
              { text: prompt },
            ],
          },
        ],
        config: { abortSignal: signal, httpOptions: { timeout: timeoutMs, fetch: capture } },
      })
      return this.classifyResponse(response)
    } catch (err) {
      return this.classifyError(err, signal.aborted, retryAfter)
    }
  }

  private classifyResponse(response: GenerateContentResponse): AnalysisOutcome {
    const blocked = response.promptFeedback?.blockReason
    if (blocked) return { kind: 'permanent', error: `Blocked by Gemini: ${blocked}` }
    const candidate = response.candidates?.[0]
    if (!candidate) return { kind: 'permanent', error: 'Gemini returned no candidates' }
    const text = (candidate.content?.parts ?? [])
      .filter((p) => typeof p.text === 'string' && !p.thought)
      .map((p) => p.text)
      .join('')
      .trim()
    if (text) return { kind: 'text', text }
    const reason = candidate.finishReason
    return {
      kind: 'permanent',
      error:
        reason && reason !== 'STOP' ? `No text from Gemini: ${reason}` : 'Gemini returned no text',
    }
  }

  private classifyError(
    err: unknown,
    timedOut: boolean,
    retryAfter: string | null,
  ): AnalysisOutcome {
    const safe = (message: string) => scrubError(message, this.config.apiKey)
    if (err instanceof ApiError) {
      const message = safe(`HTTP ${err.status}: ${errorBodyMessage(err.message)}`)
      if (err.status === 429) {
        const retryAfterMs = retryDelayFromBody(err.message) ?? parseRetryAfter(retryAfter)
        return { kind: 'rate-limited', error: message, retryAfterMs }
      }
      if (isModelUnavailable(err.status, message))
        return { kind: 'model-unavailable', error: message }
      if (err.status === 408 || err.status >= 500) return { kind: 'retryable', error: message }
      return { kind: 'permanent', error: message }
    }
    if (timedOut || (err instanceof Error && err.name === 'AbortError')) {
      return { kind: 'retryable', error: 'Gemini did not answer within the timeout' }
    }
    if (err instanceof SyntaxError) {
      return { kind: 'retryable', error: safe(`Malformed response from Gemini: ${err.message}`) }
    }
    // Network failures and anything unforeseen: worth another try later.
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
    return { kind: 'retryable', error: safe(`Gemini request failed: ${message}`) }
  }
}

import { parseDuration } from '../duration'

/** What one Gemini call came to; the analyzer decides what each kind means for the row. */
export type AnalysisOutcome =
  | { kind: 'text'; text: string }
  | { kind: 'retryable'; error: string }
  | { kind: 'rate-limited'; error: string; retryAfterMs?: number }
  | { kind: 'permanent'; error: string }
  /** The configured model is gone or cannot take this input: permanent, and no use trying others. */
  | { kind: 'model-unavailable'; error: string }

const MAX_ERROR_LENGTH = 500

/** Error text safe to store and show: the API key removed wherever it appears, length bounded. */
export function scrubError(message: string, secret: string) {
  const scrubbed = secret ? message.split(secret).join('[redacted]') : message
  return scrubbed.length > MAX_ERROR_LENGTH ? `${scrubbed.slice(0, MAX_ERROR_LENGTH)}…` : scrubbed
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

type ErrorDetail = { '@type'?: string; retryDelay?: unknown }

/** The `RetryInfo.retryDelay` of a Google API error body (the SDK puts the body in the message). */
export function retryDelayFromBody(message: string): number | undefined {
  try {
    const body = JSON.parse(message) as { error?: { details?: ErrorDetail[] } }
    const info = body.error?.details?.find((d) => d['@type']?.endsWith('google.rpc.RetryInfo'))
    // A protobuf Duration as JSON renders it: "7s", "1.5s".
    return parseDuration(info?.retryDelay)
  } catch {
    return undefined
  }
}

/** The short human message inside a Google API error body, or the raw text when it is not one. */
export function errorBodyMessage(message: string) {
  try {
    const body = JSON.parse(message) as { error?: { message?: unknown; status?: unknown } }
    if (typeof body.error?.message === 'string') {
      return body.error.status ? `${body.error.status}: ${body.error.message}` : body.error.message
    }
  } catch {}
  return message
}

// What Google says when the model itself is the problem: unknown, withdrawn, or unable to take the
// request's input (as opposed to a problem with one image or a passing outage).
const MODEL_GONE =
  /\b(not found|retired|deprecated|discontinued|decommissioned|shut ?down|no longer (available|supported|served))\b/i
const INPUT_UNSUPPORTED =
  /\b(does not|doesn't|do not|not) support(ed)?\b.*\b(image|input|modality|generateContent)\b|\b(image|input|modality)\b.*\bnot (supported|enabled)\b/i

/**
 * True when an error answer means the configured model cannot be used at all: a 404 (the model is
 * the only resource a generateContent URL names), or a refusal whose message says the model is
 * unknown, retired, or does not take this kind of input. Quota (429) never counts.
 */
export function isModelUnavailable(status: number, message: string): boolean {
  if (status === 429) return false
  if (status === 404) return true
  return (
    /\bmodels?\b/i.test(message) && (MODEL_GONE.test(message) || INPUT_UNSUPPORTED.test(message))
  )
}

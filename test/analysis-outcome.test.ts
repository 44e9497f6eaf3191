import { describe, expect, test } from 'bun:test'
import {
  errorBodyMessage,
  isModelUnavailable,
  parseRetryAfter,
  retryDelayFromBody,
  scrubError,
} from '../src/analysis/outcome'

describe('Gemini outcome helpers', () => {
  test('retry delay found among the details of a Google error body', () => {
    const body = JSON.stringify({
      error: {
        code: 429,
        message: 'Quota exceeded',
        status: 'RESOURCE_EXHAUSTED',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [] },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '12s' },
        ],
      },
    })
    expect(retryDelayFromBody(body)).toBe(12_000)
    expect(errorBodyMessage(body)).toBe('RESOURCE_EXHAUSTED: Quota exceeded')
    expect(retryDelayFromBody('not json')).toBeUndefined()
    expect(errorBodyMessage('plain text')).toBe('plain text')
  })

  test('Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(parseRetryAfter('30', now)).toBe(30_000)
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60_000)
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(null, now)).toBeUndefined()
  })

  test('the key is removed everywhere and long messages are bounded', () => {
    expect(scrubError('k=SECRET and again SECRET', 'SECRET')).toBe(
      'k=[redacted] and again [redacted]',
    )
    expect(scrubError('x'.repeat(2000), 'SECRET').length).toBeLessThanOrEqual(501)
  })

  test('answers that mean the model itself cannot be used, and ones that do not', () => {
    const gone = [
      [404, 'HTTP 404: NOT_FOUND: models/gemini-2.5-flash is not found for API version v1beta'],
      [404, 'HTTP 404: Not Found'],
      [400, 'HTTP 400: INVALID_ARGUMENT: The model gemini-x has been retired'],
      [503, 'HTTP 503: UNAVAILABLE: This model is no longer available'],
      [400, 'HTTP 400: INVALID_ARGUMENT: Image input is not supported by this model'],
      [400, 'HTTP 400: INVALID_ARGUMENT: Input modality IMAGE is not enabled for models/x'],
    ] as const
    for (const [status, message] of gone) expect(isModelUnavailable(status, message)).toBe(true)
    const notGone = [
      [429, 'HTTP 429: RESOURCE_EXHAUSTED: Quota exceeded for model gemini-x'],
      [503, 'HTTP 503: UNAVAILABLE: The model is overloaded. Please try again later.'],
      [500, 'HTTP 500: INTERNAL: Internal error encountered.'],
      [400, 'HTTP 400: INVALID_ARGUMENT: Unable to process input image.'],
      [403, 'HTTP 403: PERMISSION_DENIED: API key not valid'],
    ] as const
    for (const [status, message] of notGone) expect(isModelUnavailable(status, message)).toBe(false)
  })
})

import { describe, expect, test } from 'bun:test'
import { parseDuration } from '../src/duration'

// Moved from reconcile.test.ts and analysis-outcome.test.ts when the two parsers became one.
describe('parseDuration (milliseconds)', () => {
  test('reconcile --grace: units, bare seconds, zero; garbage refused', () => {
    const grace = (text: string) => parseDuration(text, { bareSeconds: true })
    expect(grace('30m')).toBe(1800_000)
    expect(grace('2h')).toBe(7200_000)
    expect(grace('0')).toBe(0)
    expect(grace('45')).toBe(45_000)
    expect(grace('1d')).toBe(86_400_000)
    expect(grace('1.5h')).toBeUndefined()
    expect(grace('-1')).toBeUndefined()
  })

  test('RetryInfo.retryDelay durations', () => {
    expect(parseDuration('7s')).toBe(7000)
    expect(parseDuration('1.5s')).toBe(1500)
    expect(parseDuration('0.0001s')).toBe(1)
    expect(parseDuration('7')).toBeUndefined()
    expect(parseDuration(7)).toBeUndefined()
  })
})

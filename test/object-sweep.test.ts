import { describe, expect, test } from 'bun:test'
import { type LeftObject, ObjectSweep } from '../src/images/object-sweep'
import { createLogger } from '../src/logger'
import { waitFor } from './support/wait'

const object = (n: number): LeftObject => ({
  md5Hash: `${n}`.padStart(32, '0'),
  s3Key: `images/${n}.png`,
})

function logged() {
  const lines: Record<string, unknown>[] = []
  return { lines, logger: createLogger('debug', (line) => lines.push(JSON.parse(line))) }
}

describe('ObjectSweep', () => {
  test('retries a failing removal with growing delays until it succeeds, then forgets it', async () => {
    const { lines, logger } = logged()
    const attempts: number[] = []
    const sweep = new ObjectSweep(
      async () => {
        attempts.push(Date.now())
        if (attempts.length < 4) throw Object.assign(new Error('down'), { code: 'ECONNREFUSED' })
        return 'removed'
      },
      logger,
      { firstRetryMs: 20, maxRetryMs: 80 },
    )
    sweep.add(object(1), new Error('first failure'))
    expect(sweep.size).toBe(1)
    await waitFor(
      async () => sweep.size,
      (n) => n === 0,
      { what: 'the sweep to finish' },
    )
    expect(attempts).toHaveLength(4)
    // 20 ms, then 40, then 80 (capped): each gap at least its delay.
    const gaps = attempts.slice(1).map((at, i) => at - (attempts[i] as number))
    expect(gaps[0]).toBeGreaterThanOrEqual(35)
    expect(gaps[1]).toBeGreaterThanOrEqual(75)
    expect(lines.filter((l) => l.msg === 'left-behind object still not removed')).toHaveLength(3)
    expect(lines.at(-1)).toMatchObject({ msg: 'left-behind object swept', outcome: 'removed' })
    // Codes only, never messages (SQL errors carry values).
    expect(JSON.stringify(lines)).not.toContain('down')
  })

  test('remembers at most maxPending objects; the rest are logged for reconcile', () => {
    const { lines, logger } = logged()
    const sweep = new ObjectSweep(async () => 'removed', logger, {
      firstRetryMs: 60_000,
      maxPending: 3,
    })
    for (let i = 0; i < 5; i++) sweep.add(object(i), new Error('x'))
    sweep.add(object(0), new Error('again'))
    expect(sweep.size).toBe(3)
    const retries = lines.map((l) => l.retry)
    expect(retries.filter((r) => r === 'in the background')).toHaveLength(4)
    expect(retries.filter((r) => String(r).includes('reconcile'))).toHaveLength(2)
    sweep.stop()
    expect(sweep.size).toBe(0)
  })
})

import { rootCause } from '../error-chain'
import type { Logger } from '../logger'

export class DatabaseUnreachable extends Error {}

// Each ping gets this long: a connection attempt that hangs must not stall start-up forever.
const PING_TIMEOUT_MS = 5000

/**
 * Pings the database until it answers, with exponential backoff (0.25 s doubling to 5 s), logging
 * each failed attempt; after `timeoutSeconds` throws `DatabaseUnreachable` with the last cause.
 * Compose and orchestrators may start the API before PostgreSQL accepts connections.
 */
export async function waitForDatabase(
  ping: () => Promise<void>,
  options: { timeoutSeconds: number; logger: Logger; sleep?: (ms: number) => Promise<void> },
) {
  const sleep = options.sleep ?? ((ms: number) => Bun.sleep(ms))
  const deadline = performance.now() + options.timeoutSeconds * 1000
  for (let attempt = 1; ; attempt++) {
    let timer: Timer | undefined
    try {
      await Promise.race([
        ping(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)),
            PING_TIMEOUT_MS,
          )
        }),
      ])
      if (attempt > 1) options.logger.info('database reachable', { attempt })
      return
    } catch (err) {
      const cause = rootCause(err)
      const left = deadline - performance.now()
      if (left <= 0) {
        throw new DatabaseUnreachable(
          `database unreachable after ${attempt} attempts in ${options.timeoutSeconds} s: ${cause}`,
        )
      }
      const delay = Math.min(250 * 2 ** (attempt - 1), 5000, left)
      options.logger.warn('database unreachable, retrying', {
        attempt,
        retry_in_ms: Math.round(delay),
        error: cause,
      })
      await sleep(delay)
    } finally {
      clearTimeout(timer)
    }
  }
}

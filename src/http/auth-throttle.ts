import { createMiddleware } from 'hono/factory'
import type { ApiKeyRing } from '../auth/key-ring'
import type { AppEnv } from './env'
import { errorBody } from './errors'

export type AuthThrottleOptions = {
  limit: number
  windowSeconds: number
  /** Clients tracked at once; beyond it the oldest entry is dropped, so memory stays bounded. */
  maxClients?: number
  now?: () => number
}

type Entry = { failures: number; windowEnds: number }

/**
 * Counts wrong API keys per client in fixed windows. In-process defence in depth against key
 * guessing (keys are long and random anyway): each replica counts alone, and behind a reverse
 * proxy every client shares the proxy's address unless TRUST_PROXY names the hop to believe.
 */
export class AuthFailures {
  readonly #clients = new Map<string, Entry>()
  readonly #limit: number
  readonly #windowMs: number
  readonly #maxClients: number
  readonly #now: () => number

  constructor(options: AuthThrottleOptions) {
    this.#limit = options.limit
    this.#windowMs = options.windowSeconds * 1000
    this.#maxClients = options.maxClients ?? 10_000
    this.#now = options.now ?? Date.now
  }

  /** Seconds until `client` may try again, or 0 when it is not blocked. */
  retryAfter(client: string): number {
    const entry = this.#live(client)
    if (!entry || entry.failures < this.#limit) return 0
    return Math.max(1, Math.ceil((entry.windowEnds - this.#now()) / 1000))
  }

  recordFailure(client: string) {
    const entry = this.#live(client)
    if (entry) {
      entry.failures++
      return
    }
    if (this.#clients.size >= this.#maxClients) this.#evict()
    this.#clients.set(client, { failures: 1, windowEnds: this.#now() + this.#windowMs })
  }

  get size() {
    return this.#clients.size
  }

  #live(client: string) {
    const entry = this.#clients.get(client)
    if (entry && entry.windowEnds <= this.#now()) {
      this.#clients.delete(client)
      return undefined
    }
    return entry
  }

  #evict() {
    const now = this.#now()
    for (const [client, entry] of this.#clients) {
      if (entry.windowEnds <= now) this.#clients.delete(client)
    }
    // Still full: drop the oldest (Maps iterate in insertion order).
    const oldest = this.#clients.keys().next()
    if (this.#clients.size >= this.#maxClients && !oldest.done) this.#clients.delete(oldest.value)
  }
}

/**
 * Once a client has presented `limit` wrong keys in a window, its further wrong keys get 429
 * until the window ends. A valid key always passes: a client must never be locked out by other
 * requests' failures (behind a NAT or a proxy they share one address). Keys are long random
 * secrets, so the limit is not what stops guessing; it keeps failures cheap and visible. Requests
 * without a key (health, signed downloads) are not affected.
 */
export const authThrottle = (failures: AuthFailures, keys: Pick<ApiKeyRing, 'verify'>) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const presented = c.req.header('x-api-key')
    if (!presented) return next()
    const who = c.var.clientIp
    const wait = failures.retryAfter(who)
    if (wait > 0 && !keys.verify(presented)) {
      c.var.logger?.warn('auth failed', {
        request_id: c.var.requestId,
        client_ip: who,
        reason: 'throttled',
      })
      c.header('Retry-After', String(wait))
      return c.json(
        errorBody('Too many failed attempts', `Too many invalid API keys; retry in ${wait} s`),
        429,
      )
    }
    await next()
    if (c.res.status === 401) failures.recordFailure(who)
  })

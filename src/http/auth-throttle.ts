import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
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
 * proxy every client shares the proxy's address, so the limit then applies to all of them.
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

type ServerLike = { requestIP?: (request: Request) => { address: string } | null }

/** The peer address from Bun's server (Hono's `c.env` under Bun.serve); no proxy headers trusted. */
export function clientAddress(c: Context): string {
  const server = c.env as ServerLike | undefined
  return server?.requestIP?.(c.req.raw)?.address ?? 'unknown'
}

/**
 * Once a client has presented `limit` wrong keys in a window, every request of it carrying a key,
 * valid or not, gets 429 until the window ends: a guesser learns nothing more. Requests without
 * a key (health, signed downloads) are not affected.
 */
export const authThrottle = (failures: AuthFailures, client = clientAddress) =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (!c.req.header('x-api-key')) return next()
    const who = client(c)
    const wait = failures.retryAfter(who)
    if (wait > 0) {
      c.header('Retry-After', String(wait))
      return c.json(
        errorBody('Too many failed attempts', `Too many invalid API keys; retry in ${wait} s`),
        429,
      )
    }
    await next()
    if (c.res.status === 401) failures.recordFailure(who)
  })

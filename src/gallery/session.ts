import { timingSafeEqual } from 'node:crypto'
import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { Principal } from '../auth/key-ring'
import { ApiKeyRing } from '../auth/key-ring'

export const SESSION_COOKIE = 'gallery_session'
export const CSRF_HEADER = 'x-csrf-token'

/** What a signed session cookie carries; never the key itself, only its fingerprint. */
type Payload = { f: string; e: number; c: string }

export type Session = { principal: Principal; csrf: string; expires: number }

export type SessionOptions = {
  secret: string
  ttlSeconds: number
  keys: ApiKeyRing
  /** PUBLIC_BASE_URL: its origin is accepted in `Origin`, and https there means Secure cookies. */
  publicBaseUrl?: string
  now?: () => number
}

const equal = (a: string, b: string) => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * Gallery sessions: an HMAC-signed, expiring cookie naming the API key by fingerprint, plus a
 * CSRF token that state-changing requests must echo. The principal is looked up in the key ring
 * on every request, so removing a key from the configuration ends its sessions.
 */
export class Sessions {
  readonly #secret: string
  readonly #ttl: number
  readonly #keys: ApiKeyRing
  readonly #publicOrigin?: string
  readonly #now: () => number

  constructor(options: SessionOptions) {
    this.#secret = options.secret
    this.#ttl = options.ttlSeconds
    this.#keys = options.keys
    this.#publicOrigin = options.publicBaseUrl && new URL(options.publicBaseUrl).origin
    this.#now = options.now ?? Date.now
  }

  /** Verifies `key` and sets the session cookie; undefined (and no cookie) for a wrong key. */
  signIn(c: Context, key: string): Session | undefined {
    const principal = this.#keys.verify(key)
    if (!principal) return undefined
    const payload: Payload = {
      f: ApiKeyRing.fingerprint(key),
      e: Math.floor(this.#now() / 1000) + this.#ttl,
      c: crypto.getRandomValues(Buffer.alloc(18)).toString('base64url'),
    }
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url')
    setCookie(c, SESSION_COOKIE, `${body}.${this.#sign(body)}`, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: this.#secure(c),
      path: '/',
      maxAge: this.#ttl,
    })
    return { principal, csrf: payload.c, expires: payload.e }
  }

  signOut(c: Context) {
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: this.#secure(c) })
  }

  /** The request's valid, unexpired session, if any. */
  read(c: Context): Session | undefined {
    const raw = getCookie(c, SESSION_COOKIE)
    if (!raw) return undefined
    const dot = raw.indexOf('.')
    if (dot < 0) return undefined
    const body = raw.slice(0, dot)
    if (!equal(raw.slice(dot + 1), this.#sign(body))) return undefined
    let payload: Payload
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString())
    } catch {
      return undefined
    }
    if (typeof payload.e !== 'number' || payload.e * 1000 <= this.#now()) return undefined
    if (typeof payload.f !== 'string' || typeof payload.c !== 'string') return undefined
    const principal = this.#keys.byFingerprint(payload.f)
    if (!principal) return undefined
    return { principal, csrf: payload.c, expires: payload.e }
  }

  /** The token a state-changing request presents (header or form field) matches the session's. */
  csrfMatches(session: Session, presented: string | undefined): boolean {
    return presented !== undefined && equal(presented, session.csrf)
  }

  /** The `Origin` header names this server (as reached, or as PUBLIC_BASE_URL says). */
  sameOrigin(c: Context): boolean {
    const origin = c.req.header('origin')
    if (!origin) return false
    return origin === new URL(c.req.url).origin || origin === this.#publicOrigin
  }

  #secure(c: Context) {
    return (
      new URL(c.req.url).protocol === 'https:' ||
      c.req.header('x-forwarded-proto') === 'https' ||
      this.#publicOrigin?.startsWith('https:') === true
    )
  }

  #sign(body: string) {
    return new Bun.CryptoHasher('sha256', this.#secret).update(body).digest('base64url')
  }
}

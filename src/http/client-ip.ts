import { isIP } from 'node:net'
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from './env'

type ServerLike = { requestIP?: (request: Request) => { address: string } | null }

/** The TCP peer's address from Bun's server (Hono's `c.env` under Bun.serve). */
export function peerAddress(c: Context): string {
  const server = c.env as ServerLike | undefined
  return server?.requestIP?.(c.req.raw)?.address ?? 'unknown'
}

/**
 * The client's address. With `trustedHops` = 0 it is the TCP peer and X-Forwarded-For is ignored
 * (anyone can write it). Behind N trusted proxies, each appending the address it received the
 * request from, the right-most N-1 entries of X-Forwarded-For name proxies and the N-th from the
 * right is the client the outermost trusted proxy saw; entries left of it are client-supplied
 * and ignored. Fewer entries than N: the left-most (every entry came from a trusted proxy). A
 * missing header or an entry that is not an IP address: the TCP peer.
 */
export function clientIpFrom(
  peer: string,
  forwardedFor: string | undefined,
  trustedHops: number,
): string {
  if (trustedHops === 0 || !forwardedFor) return peer
  const hops = forwardedFor
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => hop !== '')
  const chosen = hops[Math.max(0, hops.length - trustedHops)]
  return chosen && isIP(chosen) ? chosen : peer
}

/** Sets `clientIp` for the throttle and the logs (see `clientIpFrom`). */
export const clientIp = (trustedHops: number, peer = peerAddress) =>
  createMiddleware<AppEnv>(async (c, next) => {
    c.set('clientIp', clientIpFrom(peer(c), c.req.header('x-forwarded-for'), trustedHops))
    await next()
  })

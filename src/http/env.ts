import type { Logger } from './logger'

export type Principal = { name: string; readOnly: boolean }

/** Hono context variables set by the middleware. */
export type AppEnv = {
  Variables: {
    requestId: string
    /** The peer, or the X-Forwarded-For hop chosen by TRUST_PROXY (see `clientIpFrom`). */
    clientIp: string
    logger: Logger
    principal?: Principal
  }
}

import type { Principal } from '../auth/key-ring'
import type { Logger } from '../logger'

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

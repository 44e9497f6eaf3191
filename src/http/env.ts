import type { Principal } from '../auth/key-ring'
import type { Logger } from './logger'

/** Hono context variables set by the middleware. */
export type AppEnv = {
  Variables: {
    requestId: string
    logger: Logger
    principal?: Principal
  }
}

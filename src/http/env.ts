import type { Logger } from './logger'

export type Principal = { name: string; readOnly: boolean }

/** Hono context variables set by the middleware. */
export type AppEnv = {
  Variables: {
    requestId: string
    logger: Logger
    principal?: Principal
  }
}

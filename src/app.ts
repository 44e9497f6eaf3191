import { OpenAPIHono } from '@hono/zod-openapi'
import type { ApiKeyRing } from './auth/key-ring'
import type { Config } from './config'
import type { Database } from './db/client'
import { AuthFailures, authThrottle } from './http/auth-throttle'
import type { AppEnv } from './http/env'
import { handleError } from './http/errors'
import { healthRoutes } from './http/health'
import type { Logger } from './http/logger'
import { notFoundOrMethodNotAllowed } from './http/method-not-allowed'
import { requestContext } from './http/request-context'
import type { DownloadLinks } from './images/download-links'
import { ImageRepository } from './images/repository'
import { imageRoutes } from './images/routes'
import { ImageService } from './images/service'
import type { Storage } from './storage/storage'

export type AppDeps = {
  database: Database
  storage: Storage
  keys: ApiKeyRing
  links: DownloadLinks
  logger: Logger
  limits: Config['limits']
  /** Wrong-key throttle per client IP; absent: defaults (20 per 60 s). */
  authFailures?: Config['authFailures']
}

/** The whole HTTP API for the given dependencies; no globals, so tests build as many as they like. */
export function createApp(deps: AppDeps) {
  const images = new ImageService(new ImageRepository(deps.database.db), deps.storage, deps.limits)

  const app = new OpenAPIHono<AppEnv>()
  app.use(requestContext(deps.logger))
  app.use(authThrottle(new AuthFailures(deps.authFailures ?? { limit: 20, windowSeconds: 60 })))
  app.route('/', healthRoutes({ database: deps.database.ping, storage: () => deps.storage.ping() }))
  app.route(
    '/',
    imageRoutes({
      images,
      storage: deps.storage,
      links: deps.links,
      keys: deps.keys,
      limits: deps.limits,
    }),
  )
  app.onError(handleError)
  app.notFound(notFoundOrMethodNotAllowed(() => app.routes))
  return app
}

export type App = ReturnType<typeof createApp>

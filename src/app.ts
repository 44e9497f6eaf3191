import { OpenAPIHono } from '@hono/zod-openapi'
import { analysisRoutes } from './analysis/routes'
import type { Analysis } from './analysis/setup'
import type { ApiKeyRing } from './auth/key-ring'
import type { Config } from './config'
import type { Database } from './db/client'
import type { AppEnv } from './http/env'
import { handleError, handleNotFound } from './http/errors'
import { healthRoutes } from './http/health'
import type { Logger } from './http/logger'
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
  /** Gemini analysis; absent when it is off. */
  analysis?: Analysis
}

/** The whole HTTP API for the given dependencies; no globals, so tests build as many as they like. */
export function createApp(deps: AppDeps) {
  const analyzer = deps.analysis?.analyzer
  const images = new ImageService(
    new ImageRepository(deps.database.db),
    deps.storage,
    deps.limits,
    analyzer && ((mimetype) => analyzer.initialStatus(mimetype)),
  )

  const app = new OpenAPIHono<AppEnv>()
  app.use(requestContext(deps.logger))
  app.route('/', healthRoutes({ database: deps.database.ping, storage: () => deps.storage.ping() }))
  app.route(
    '/',
    imageRoutes({
      images,
      storage: deps.storage,
      links: deps.links,
      keys: deps.keys,
      limits: deps.limits,
      analyzer,
    }),
  )
  app.route(
    '/',
    analysisRoutes({
      keys: deps.keys,
      links: deps.links,
      findImage: (id) => images.findById(id),
      analyzer,
    }),
  )
  app.onError(handleError)
  app.notFound(handleNotFound)
  return app
}

export type App = ReturnType<typeof createApp>

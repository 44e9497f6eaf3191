import type { Analysis } from './analysis/setup'
import type { ApiKeyRing } from './auth/key-ring'
import type { Config } from './config'
import type { Database } from './db/client'
import { requireApiKey } from './http/auth'
import { AuthFailures, authThrottle } from './http/auth-throttle'
import { handleError } from './http/errors'
import { healthRoutes } from './http/health'
import type { Logger } from './http/logger'
import { methodNotAllowed, notFound } from './http/method-not-allowed'
import { openApiDocument } from './http/openapi-document'
import { requestContext } from './http/request-context'
import { createRouter } from './http/router'
import { analysisRoutes } from './images/analyze-route'
import { contentRoute, signedDownload } from './images/content-route'
import type { DownloadLinks } from './images/download-links'
import { limitsRoute } from './images/limits-route'
import { imagePresenter } from './images/present'
import { ImageRepository } from './images/repository'
import { imageRoutes } from './images/routes'
import { ImageService } from './images/service'
import { uploadRoute } from './images/upload-route'
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
  /** Wrong-key throttle per client IP. */
  authFailures: Config['authFailures']
}

/** The whole HTTP API for the given dependencies; no globals, so tests build as many as they like. */
export function createApp(deps: AppDeps) {
  const { storage, keys, links, limits } = deps
  const analyzer = deps.analysis?.analyzer
  const images = new ImageService(
    new ImageRepository(deps.database.db),
    storage,
    limits,
    analyzer && ((mimetype) => analyzer.initialStatus(mimetype)),
  )

  const app = createRouter()
  app.use(requestContext(deps.logger))
  app.use(methodNotAllowed(app))
  app.use(authThrottle(new AuthFailures(deps.authFailures)))
  // Every route under /api/ and the document need a key; routes added later are covered by default.
  // The one exception, a download_url's signature on an image's content, is `signedDownload`.
  app.use('/api/*', requireApiKey(keys, signedDownload(links)))
  app.use('/openapi.json', requireApiKey(keys))
  const modelCheck = deps.analysis?.modelCheck
  app.route(
    '/',
    healthRoutes({
      checks: { database: deps.database.ping, storage: () => storage.ping() },
      analysis: modelCheck && (() => modelCheck.health()),
    }),
  )
  const present = imagePresenter(links)
  app.route('/', uploadRoute({ images, present, limits, analyzer }))
  app.route('/', imageRoutes({ images, present }))
  app.route('/', contentRoute({ images, storage }))
  app.route('/', limitsRoute({ limits }))
  app.route('/', analysisRoutes({ images, present, analyzer }))

  app.openAPIRegistry.registerComponent('securitySchemes', 'ApiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
  })
  app.doc31('/openapi.json', (c) => openApiDocument(links.baseUrl(c.req.url)))

  app.onError(handleError)
  app.notFound(notFound)
  return app
}

export type App = ReturnType<typeof createApp>

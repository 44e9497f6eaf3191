import { analysisRoutes } from './analysis/routes'
import type { Analysis } from './analysis/setup'
import type { ApiKeyRing } from './auth/key-ring'
import type { Config } from './config'
import type { Database } from './db/client'
import { requireApiKey } from './http/auth'
import { AuthFailures, authThrottle } from './http/auth-throttle'
import { handleError } from './http/errors'
import { healthRoutes } from './http/health'
import type { Logger } from './http/logger'
import { notFoundOrMethodNotAllowed } from './http/method-not-allowed'
import { requestContext } from './http/request-context'
import { createRouter } from './http/router'
import { contentRoute } from './images/content-route'
import type { DownloadLinks } from './images/download-links'
import { limitsRoute } from './images/limits-route'
import { ImageRepository } from './images/repository'
import { imageRoutes } from './images/routes'
import { ImageService } from './images/service'
import { uploadRoute } from './images/upload-route'
import { variantRoute } from './images/variant-route'
import { VariantService } from './images/variants'
import type { Storage } from './storage/storage'

export type AppDeps = {
  database: Database
  storage: Storage
  keys: ApiKeyRing
  links: DownloadLinks
  logger: Logger
  limits: Config['limits']
  pixels: Config['pixels']
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
    {},
    { maxPixels: limits.maxPixels, locationPolicy: deps.pixels.locationPolicy },
  )

  const variants = new VariantService(new ImageRepository(deps.database.db), storage, {
    presets: deps.pixels.variantPresets,
    maxPixels: limits.maxPixels,
    concurrency: deps.pixels.variantConcurrency,
    acrossProcesses: deps.database.kind === 'postgres',
  })

  const app = createRouter()
  app.use(requestContext(deps.logger))
  app.use(authThrottle(new AuthFailures(deps.authFailures)))
  app.route('/', healthRoutes({ database: deps.database.ping, storage: () => storage.ping() }))
  app.route('/', uploadRoute({ images, links, keys, limits, analyzer }))
  app.route('/', imageRoutes({ images, links, keys }))
  app.route('/', contentRoute({ images, storage, links, keys }))
  app.route('/', variantRoute({ images, variants, links, keys }))
  app.route('/', limitsRoute({ keys, limits, pixels: deps.pixels }))
  app.route('/', analysisRoutes({ images, links, keys, analyzer }))

  app.openAPIRegistry.registerComponent('securitySchemes', 'ApiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
  })
  app.use('/openapi.json', requireApiKey(keys))
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Image & metadata API',
      version: '1.0.0',
      description: 'Images in S3-compatible storage, metadata in PostgreSQL, duplicates by MD5.',
    },
  })

  app.onError(handleError)
  app.notFound(notFoundOrMethodNotAllowed(() => app.routes))
  return app
}

export type App = ReturnType<typeof createApp>

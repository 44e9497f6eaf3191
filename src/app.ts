import type { Analysis } from './analysis/setup'
import type { ApiKeyRing } from './auth/key-ring'
import type { Config } from './config'
import type { Database } from './db/client'
import { GalleryApi } from './gallery/api-client'
import { apiSession } from './gallery/api-session'
import { GalleryAssets } from './gallery/assets'
import { galleryRoutes } from './gallery/routes'
import { Sessions } from './gallery/session'
import { requireApiKey } from './http/auth'
import { AuthFailures, authThrottle } from './http/auth-throttle'
import { clientIp } from './http/client-ip'
import { corsMiddleware } from './http/cors'
import { handleError } from './http/errors'
import { GarbagePacer } from './http/garbage-pacer'
import { healthRoutes } from './http/health'
import { jsonBodyLimit } from './http/json-body'
import { methodNotAllowed, notFound } from './http/method-not-allowed'
import { openApiDocument } from './http/openapi-document'
import { requestContext } from './http/request-context'
import { createRouter } from './http/router'
import { analysisRoutes } from './images/analyze-route'
import { contentRoute, signedDownload } from './images/content-route'
import type { DownloadLinks } from './images/download-links'
import { jsonBodyLimits } from './images/json-limits'
import { limitsRoute } from './images/limits-route'
import { ObjectSweep } from './images/object-sweep'
import { imagePresenter } from './images/present'
import { ImageRepository } from './images/repository'
import { imageRoutes } from './images/routes'
import { ImageService } from './images/service'
import { searchesByImage, similarityRoutes } from './images/similar-routes'
import { uploadRoute } from './images/upload-route'
import { variantRoute } from './images/variant-route'
import { VariantService } from './images/variants'
import type { Logger } from './logger'
import { instrument } from './metrics/instrument'
import type { Metrics } from './metrics/metrics'
import { countUploads, metricsRoute } from './metrics/route'
import { SimilarityRepository } from './similarity/repository'
import { NearDuplicateService } from './similarity/service'
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
  /** Reverse proxies in front whose X-Forwarded-For is believed (TRUST_PROXY); 0 when absent. */
  trustProxyHops?: number
  /** Origins allowed to call from a browser; absent or `off`: no CORS headers. */
  corsOrigins?: Config['corsOrigins']
  /** Prometheus series; `/metrics` is served on this app only with `metricsToken`. */
  metrics?: Metrics
  metricsToken?: string
  /** Near-duplicate distance and default policy. */
  nearDuplicates: Config['nearDuplicates']
  /** The web gallery at `/`; absent when GALLERY=off. */
  gallery?: { sessionSecret: string; sessionTtlSeconds: number; publicBaseUrl?: string }
}

/** The whole HTTP API for the given dependencies; no globals, so tests build as many as they like. */
export function createApp(deps: AppDeps) {
  const { keys, links, limits, metrics } = deps
  const analyzer = deps.analysis?.analyzer
  const storage = metrics ? instrument(deps.storage, metrics.storageCalls) : deps.storage
  const repository = new ImageRepository(deps.database.db)
  const nearDuplicates = new NearDuplicateService(new SimilarityRepository(deps.database.db), {
    distance: deps.nearDuplicates.distance,
    limitInputPixels: limits.maxPixels,
  })
  const images = new ImageService(
    // withContentLock, withUploadLock and transaction time the caller's work (a storage put), not
    // the database.
    metrics
      ? instrument(repository, metrics.dbCalls, [
          'withContentLock',
          'withUploadLock',
          'transaction',
        ])
      : repository,
    storage,
    limits,
    {
      initialAnalysis: analyzer && ((mimetype) => analyzer.initialStatus(mimetype)),
      onObjectLeftBehind: (object, cause) => sweep.add(object, cause),
      ...(deps.pixels.decodeUploads && {
        nearDuplicates,
        pixels: { maxPixels: limits.maxPixels, locationPolicy: deps.pixels.locationPolicy },
      }),
    },
  )
  // Objects of deleted rows whose removal failed are retried in the background.
  const sweep = new ObjectSweep((object) => images.removeObjectIfUnreferenced(object), deps.logger)

  const variants = new VariantService(repository, storage, {
    presets: deps.pixels.variantPresets,
    maxPixels: limits.maxPixels,
    concurrency: deps.pixels.variantConcurrency,
    acrossProcesses: deps.database.kind === 'postgres',
    // JavaScriptCore frees dead buffers late: renditions, and originals read from S3 (README).
    garbage: new GarbagePacer(limits.uploadBufferBytes),
    readBuffers: { size: limits.maxUploadBytes, retained: limits.uploadBufferBytes },
  })

  const app = createRouter()
  app.use(clientIp(deps.trustProxyHops ?? 0))
  app.use(requestContext(deps.logger))
  if (metrics) {
    app.use(metrics.http)
    app.use('/api/upload', countUploads(metrics))
    if (deps.metricsToken) app.route('/', metricsRoute(metrics, deps.metricsToken))
  }
  // Before auth and 405: a preflight carries no API key and must not count as a failed one.
  if (deps.corsOrigins && deps.corsOrigins !== 'off') app.use(corsMiddleware(deps.corsOrigins))
  app.use(methodNotAllowed(app))
  const authFailures = new AuthFailures(deps.authFailures)
  app.use(authThrottle(authFailures, keys))
  const sessions =
    deps.gallery &&
    new Sessions({
      secret: deps.gallery.sessionSecret,
      ttlSeconds: deps.gallery.sessionTtlSeconds,
      keys,
      publicBaseUrl: deps.gallery.publicBaseUrl,
    })
  // The gallery's page scripts call the JSON API with the session (and its CSRF token).
  if (sessions) app.use('/api/*', apiSession(sessions))
  // Every route under /api/ and the document need a key; routes added later are covered by default.
  // The one exception, a signed download_url or variants URL, is `signedDownload`.
  app.use(
    '/api/*',
    requireApiKey(keys, { alternative: signedDownload(links), changesNothing: searchesByImage }),
  )
  app.use('/openapi.json', requireApiKey(keys))
  // Every JSON body is bounded while it is read, before any route parses it.
  app.use(jsonBodyLimit(jsonBodyLimits(limits)))
  const modelCheck = deps.analysis?.modelCheck
  app.route(
    '/',
    healthRoutes({
      checks: { database: deps.database.ping, storage: () => storage.ping() },
      analysis: modelCheck && (() => modelCheck.health()),
    }),
  )
  const present = imagePresenter(links)
  const nearDuplicatePolicy = deps.nearDuplicates.policy
  app.route('/', uploadRoute({ images, present, limits, analyzer, metrics, nearDuplicatePolicy }))
  app.route('/', imageRoutes({ images, present, limits }))
  app.route('/', similarityRoutes({ images, nearDuplicates, present, limits }))
  app.route('/', contentRoute({ images, storage }))
  app.route('/', variantRoute({ images, variants }))
  app.route('/', limitsRoute({ limits, pixels: deps.pixels }))
  app.route('/', analysisRoutes({ images, present, analyzer }))

  app.openAPIRegistry.registerComponent('securitySchemes', 'ApiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
  })
  app.doc31('/openapi.json', (c) => openApiDocument(links.baseUrl(c.req.url)))

  if (sessions) {
    app.route(
      '/',
      galleryRoutes({
        sessions,
        api: new GalleryApi((request, env) => app.fetch(request, env)),
        assets: GalleryAssets.load(),
        authFailures,
      }),
    )
  }

  app.onError(handleError)
  app.notFound(notFound)
  return app
}

export type App = ReturnType<typeof createApp>

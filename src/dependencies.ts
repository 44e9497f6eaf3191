import { buildAnalysis } from './analysis/setup'
import type { AppDeps } from './app'
import { loadOrCreateSecret, secureDataDir } from './auth/dev-key'
import { ApiKeyRing } from './auth/key-ring'
import type { ApiKeySpec, Config } from './config'
import { type Database, openDatabase } from './db/client'
import { migrate } from './db/migrate'
import type { EmbeddedHeadStart } from './db/pglite-early'
import { waitForDatabase } from './db/wait'
import { DownloadLinks } from './images/download-links'
import type { Logger } from './logger'
import { ensureBucket } from './storage/bucket'
import { openStorage } from './storage/open'
import type { S3StorageOptions } from './storage/s3'
import type { Storage } from './storage/storage'

/** Creates a missing bucket; when that is refused, says so once and starts anyway (health 503). */
async function prepareBucket(options: S3StorageOptions, storage: Storage, logger: Logger) {
  const check = await ensureBucket(options, () => storage.ping())
  if (check.status === 'created')
    logger.info('created the missing bucket', { bucket: options.bucket })
  else if (check.status === 'missing') {
    logger.error('the bucket is missing and could not be created; /health answers 503', {
      bucket: options.bucket,
      error: check.reason,
    })
  } else if (check.status === 'refused') {
    logger.error('storage refused the credentials; /health answers 503', {
      bucket: options.bucket,
      error: check.reason,
    })
  } else if (check.status === 'unknown') {
    logger.warn('storage did not answer at start-up; /health answers 503 until it does', {
      bucket: options.bucket,
      error: check.reason,
    })
  }
}

/** Series are collected only when something can read them: /metrics is off by default. */
const metricsReadable = (config: Config) =>
  config.metrics.token !== undefined || config.metrics.port !== undefined

/** prom-client is loaded only then (about 8 MB resident and 30 ms of start-up otherwise). */
async function openMetrics(database: Database) {
  const { createMetrics, observeTable } = await import('./metrics/metrics')
  const metrics = createMetrics()
  observeTable(metrics, database.db)
  return metrics
}

/** Opens and prepares everything the app needs (migrations included) from the configuration. */
const SECRET_FILES = ['dev-api-key', 'url-signing-secret'] as const

/** True when something is kept under DATA_DIR (embedded database, local objects, generated secrets). */
const usesDataDir = (config: Config) =>
  config.database.kind === 'pglite' ||
  config.storage.kind === 'local' ||
  config.apiKeys.length === 0 ||
  !config.urlSigningSecret

export async function buildDependencies(
  config: Config,
  logger: Logger,
  /** The embedded database's start-up, begun before this module was loaded (src/index.ts). */
  embedded?: EmbeddedHeadStart,
): Promise<AppDeps> {
  if (usesDataDir(config)) {
    await secureDataDir(config.dataDir, SECRET_FILES, (msg, fields) => logger.warn(msg, fields))
  }
  const database = await openDatabase(config.database, embedded)
  try {
    await waitForDatabase(database.ping, { timeoutSeconds: config.dbConnectTimeoutSeconds, logger })
    await migrate(database.db, logger)
    const metrics = metricsReadable(config) ? await openMetrics(database) : undefined
    const storage = await openStorage(config.storage)
    if (config.storage.kind === 's3' && config.storage.createBucket) {
      await prepareBucket(config.storage, storage, logger)
    }

    let apiKeys: ApiKeySpec[] = config.apiKeys
    if (apiKeys.length === 0) {
      // Zero-config development: one generated key, kept in the data directory.
      const key = await loadOrCreateSecret(config.dataDir, 'dev-api-key')
      apiKeys = [{ name: 'dev', key, readOnly: false }]
      logger.warn('no API key configured; using the generated dev key', {
        dev_api_key: key,
        stored_in: `${config.dataDir}/dev-api-key`,
      })
    }
    const signingSecret =
      config.urlSigningSecret ?? (await loadOrCreateSecret(config.dataDir, 'url-signing-secret'))
    return {
      database,
      storage,
      keys: new ApiKeyRing(apiKeys),
      links: new DownloadLinks(
        storage,
        signingSecret,
        config.downloadUrlTtlSeconds,
        config.publicBaseUrl,
        Object.keys(config.pixels.variantPresets),
      ),
      logger,
      limits: config.limits,
      pixels: config.pixels,
      analysis: await buildAnalysis(
        config.gemini,
        database.db,
        storage,
        logger,
        config.limits.maxAnalysisLength,
      ),
      authFailures: config.authFailures,
      trustProxyHops: config.trustProxyHops,
      corsOrigins: config.corsOrigins,
      metrics,
      metricsToken: config.metrics.token,
      nearDuplicates: config.nearDuplicates,
      // Gallery sessions are signed with a key derived from the URL-signing secret, never the same.
      gallery: config.gallery && {
        sessionSecret: new Bun.CryptoHasher('sha256', signingSecret)
          .update('gallery-session')
          .digest('base64url'),
        sessionTtlSeconds: config.gallery.sessionTtlSeconds,
        publicBaseUrl: config.publicBaseUrl,
      },
    }
  } catch (err) {
    await database.close()
    throw err
  }
}

import { buildAnalysis } from './analysis/setup'
import type { AppDeps } from './app'
import { loadOrCreateSecret } from './auth/dev-key'
import { ApiKeyRing } from './auth/key-ring'
import type { ApiKeySpec, Config } from './config'
import { openDatabase } from './db/client'
import { migrate } from './db/migrate'
import type { Logger } from './http/logger'
import { DownloadLinks } from './images/download-links'
import { configureSharp } from './media/pixels'
import { LocalStorage } from './storage/local'
import { S3Storage, type S3StorageOptions } from './storage/s3'
import type { Storage } from './storage/storage'

export type StorageOptions = { kind: 'local'; dir: string } | ({ kind: 's3' } & S3StorageOptions)

export async function openStorage(config: StorageOptions): Promise<Storage> {
  return config.kind === 's3' ? new S3Storage(config) : new LocalStorage(config.dir).init()
}

/** Opens and prepares everything the app needs (migrations included) from the configuration. */
export async function buildDependencies(config: Config, logger: Logger): Promise<AppDeps> {
  configureSharp()
  const database = await openDatabase(config.database)
  try {
    await migrate(database.db)
    const storage = await openStorage(config.storage)

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
      analysis: await buildAnalysis(config.gemini, database.db, storage, logger),
      authFailures: config.authFailures,
    }
  } catch (err) {
    await database.close()
    throw err
  }
}

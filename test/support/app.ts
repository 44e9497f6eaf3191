import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type App, type AppDeps, createApp } from '../../src/app'
import { type Config, type Env, loadConfig } from '../../src/config'
import { buildDependencies } from '../../src/dependencies'
import { createLogger } from '../../src/logger'
import { startServer } from '../../src/server'
import { createTestDatabase, type TestDatabase } from './database'
import { s3Env, startS3, type TestS3 } from './s3'

export const WRITE_KEY = 'test-write-key-0123456789'
export const READ_KEY = 'test-read-key-9876543210'

export type StorageKind = 'local' | 's3'

export type TestApp = {
  url: string
  app: App
  deps: AppDeps
  config: Config
  s3?: TestS3
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[]
  rawLogs: string[]
  stop(): Promise<void>
}

export type TestAppOptions = {
  storage?: StorageKind
  env?: Env
  /** An existing database to use, left in place by stop() (restarts, several instances). */
  database?: TestDatabase
  /** An existing data directory (local objects) to share, left in place by stop(). */
  dataDir?: string
  /** Rewrites the PostgreSQL URL the app gets (e.g. to go through a TCP proxy). */
  databaseUrl?: (url: string) => string
}

/**
 * The real app on a loopback port: a fresh database (PGlite, or PostgreSQL when
 * `TEST_DATABASE_URL` is set), and a fresh local directory or s3rver bucket.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'imgapi-test-')))
  const database = options.database ?? (await createTestDatabase())
  const s3 = options.storage === 's3' ? await startS3() : undefined
  const env: Env = {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    API_KEYS: `tester:${WRITE_KEY},reader:${READ_KEY}:ro`,
    LOG_LEVEL: 'info',
    ...(database.options.kind === 'postgres'
      ? { DATABASE_URL: (options.databaseUrl ?? String)(database.options.url) }
      : {}),
    ...(s3 ? s3Env(s3) : {}),
    ...options.env,
  }
  const config = loadConfig(env)
  if (database.options.kind === 'pglite') config.database = database.options

  const rawLogs: string[] = []
  const logs: Record<string, unknown>[] = []
  const logger = createLogger(config.logLevel, (line) => {
    rawLogs.push(line)
    logs.push(JSON.parse(line))
  })
  const deps = await buildDependencies(config, logger)
  const app = createApp(deps)
  const server = startServer(app, {
    hostname: '127.0.0.1',
    port: 0,
    idleTimeoutSeconds: config.httpIdleTimeoutSeconds,
  })
  deps.analysis?.start()
  return {
    url: `http://127.0.0.1:${server.port}`,
    app,
    deps,
    config,
    s3,
    logs,
    rawLogs,
    stop: async () => {
      await server.stop(true)
      await deps.analysis?.stop()
      await deps.database.close()
      if (!options.database) await database.drop()
      await s3?.stop()
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true })
    },
  }
}

export type UploadOptions = {
  key?: string | null
  filename?: string
  metadata?: unknown
  fields?: Record<string, string>
  type?: string
}

/** POSTs one image the way the old service's clients do (multipart `image_file` + `metadata`). */
export function upload(
  base: string,
  bytes: Uint8Array<ArrayBufferLike>,
  options: UploadOptions = {},
) {
  const form = new FormData()
  form.append(
    'image_file',
    new File([bytes as Uint8Array<ArrayBuffer>], options.filename ?? 'photo.jpg', {
      type: options.type ?? 'image/jpeg',
    }),
  )
  if (options.metadata !== null) {
    const metadata = options.metadata ?? { title: 'A title', description: 'A description' }
    form.append('metadata', typeof metadata === 'string' ? metadata : JSON.stringify(metadata))
  }
  for (const [name, value] of Object.entries(options.fields ?? {})) form.append(name, value)
  const headers: Record<string, string> = {}
  if (options.key !== null) headers['X-API-Key'] = options.key ?? WRITE_KEY
  return fetch(`${base}/api/upload`, { method: 'POST', body: form, headers })
}

/** A response body as JSON, untyped: the tests assert its shape. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions inspect arbitrary JSON
export const json = (res: Response): Promise<any> => res.json()

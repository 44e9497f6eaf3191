import { describe, expect, test } from 'bun:test'
import { Glob } from 'bun'
import { ConfigError, KNOWN_ENV_VARS, loadConfig } from '../src/config'
import {
  documentedVariables,
  parseDotenv,
  ROOT,
  readCompose,
  readRootFile,
  referencedVariables,
  serviceEnvironment,
} from './support/deploy-files'

const { text: composeText, compose } = await readCompose()
const envExample = await readRootFile('.env.example')
const known = new Set(KNOWN_ENV_VARS)

// What a user's .env holds after `cp .env.example .env` and setting the key.
const userDotenv = { ...parseDotenv(envExample), API_KEY: 'a-long-production-key-0123456789' }

describe('docker-compose.yml', () => {
  test('has the four services with the documented container names', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'api',
      'createbuckets',
      'minio',
      'postgres',
    ])
    expect(compose.services.postgres?.container_name).toBe('image_api_postgres')
    expect(compose.services.minio?.container_name).toBe('image_api_minio')
    expect(compose.services.api?.container_name).toBe('image_api')
    expect(compose.services.postgres?.image).toMatch(/^postgres:16-alpine$/)
    expect(compose.services.api?.build).toBeDefined()
  })

  test('the api waits for healthy postgres and minio, and for the bucket to exist', () => {
    expect(compose.services.api?.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      minio: { condition: 'service_healthy' },
      createbuckets: { condition: 'service_completed_successfully' },
    })
    expect(compose.services.createbuckets?.depends_on).toEqual({
      minio: { condition: 'service_healthy' },
    })
    // service_healthy needs a healthcheck on the dependency, or compose waits forever.
    expect(String(compose.services.postgres?.healthcheck?.test)).toContain('pg_isready')
    expect(compose.services.minio?.healthcheck?.test).toBeDefined()
  })

  test('every variable passed to the api is one the service reads', () => {
    const passed = Object.keys(serviceEnvironment(compose, 'api', {}))
    expect(passed.length).toBeGreaterThan(10)
    expect(passed.filter((name) => !known.has(name))).toEqual([])
  })

  test('the api gets what production needs: NODE_ENV, a key, the database and the bucket', () => {
    const env = serviceEnvironment(compose, 'api', userDotenv)
    expect(env.NODE_ENV).toBe('production')
    expect('API_KEY' in env || 'API_KEYS' in env).toBe(true)
    expect(env.DATABASE_URL || env.DB_HOST).toBeTruthy()
    expect(env.S3_ENDPOINT || env.MINIO_ENDPOINT_URL).toBeTruthy()
    expect(env.S3_BUCKET || env.MINIO_BUCKET_NAME).toBeTruthy()
    expect(env.S3_ACCESS_KEY_ID || env.MINIO_ACCESS_KEY).toBeTruthy()
    expect(env.S3_SECRET_ACCESS_KEY || env.MINIO_SECRET_KEY).toBeTruthy()
    expect(env.S3_PUBLIC_ENDPOINT).toBeTruthy()
  })

  test('with the .env from .env.example, the api config points at the compose services', () => {
    const config = loadConfig(serviceEnvironment(compose, 'api', userDotenv))
    const postgresEnv = serviceEnvironment(compose, 'postgres', userDotenv)
    expect(config.env).toBe('production')
    expect(config.port).toBe(8000)
    if (config.database.kind !== 'postgres') throw new Error('expected PostgreSQL')
    const db = new URL(config.database.url)
    expect(db.hostname).toBe('postgres')
    expect(db.port).toBe('5432')
    expect(db.pathname).toBe(`/${postgresEnv.POSTGRES_DB}`)
    expect(decodeURIComponent(db.username)).toBe(postgresEnv.POSTGRES_USER ?? '')
    expect(decodeURIComponent(db.password)).toBe(postgresEnv.POSTGRES_PASSWORD ?? '')
    if (config.storage.kind !== 's3') throw new Error('expected S3 storage')
    expect(config.storage.endpoint).toBe('http://minio:9000')
    expect(config.storage.publicEndpoint).toBe('http://localhost:9000')
    expect(config.apiKeys).toEqual([{ name: 'default', key: userDotenv.API_KEY, readOnly: false }])
  })

  test('credentials and bucket agree between services, whatever the .env says', () => {
    const custom = {
      POSTGRES_DB: 'photos',
      POSTGRES_USER: 'photo_user',
      POSTGRES_PASSWORD: 'p@ss:word/1',
      MINIO_ACCESS_KEY: 'custom-access',
      MINIO_SECRET_KEY: 'custom-secret-123',
      MINIO_BUCKET_NAME: 'photo-bucket',
      API_KEY: 'k',
    }
    for (const vars of [{}, userDotenv, custom]) {
      const api = serviceEnvironment(compose, 'api', vars)
      const postgres = serviceEnvironment(compose, 'postgres', vars)
      const minio = serviceEnvironment(compose, 'minio', vars)
      const buckets = serviceEnvironment(compose, 'createbuckets', vars)
      for (const name of ['POSTGRES_DB', 'POSTGRES_USER', 'POSTGRES_PASSWORD'])
        expect(api[name]).toBe(postgres[name] as string)
      expect(api.MINIO_ACCESS_KEY).toBe(minio.MINIO_ROOT_USER as string)
      expect(api.MINIO_SECRET_KEY).toBe(minio.MINIO_ROOT_PASSWORD as string)
      expect(buckets.MINIO_ACCESS_KEY).toBe(api.MINIO_ACCESS_KEY as string)
      expect(buckets.MINIO_SECRET_KEY).toBe(api.MINIO_SECRET_KEY as string)
      expect(buckets.MINIO_BUCKET_NAME).toBe(api.MINIO_BUCKET_NAME as string)
    }
    const config = loadConfig(serviceEnvironment(compose, 'api', custom))
    expect(config.storage.kind === 's3' && config.storage.bucket).toBe('photo-bucket')
    expect(config.database.kind === 'postgres' && config.database.url).toBe(
      'postgres://photo_user:p%40ss%3Aword%2F1@postgres:5432/photos',
    )
  })

  test("the compose defaults repeat the service's own defaults exactly", () => {
    const fromCompose = loadConfig({
      ...serviceEnvironment(compose, 'api', { API_KEY: 'k' }),
      GEMINI_API_KEY: 'g',
    })
    const plain = loadConfig({ API_KEY: 'k', GEMINI_API_KEY: 'g' })
    expect(fromCompose.limits).toEqual(plain.limits)
    expect(fromCompose.gemini).toEqual(plain.gemini)
    expect(fromCompose.downloadUrlTtlSeconds).toBe(plain.downloadUrlTtlSeconds)
    expect(fromCompose.shutdownTimeoutMs).toBe(plain.shutdownTimeoutMs)
    expect(fromCompose.logLevel).toBe(plain.logLevel)
    expect(fromCompose.publicBaseUrl).toBe(plain.publicBaseUrl)
    expect(fromCompose.urlSigningSecret).toBe(plain.urlSigningSecret)
    if (fromCompose.database.kind !== 'postgres') throw new Error('expected PostgreSQL')
    expect(fromCompose.database.poolMax).toBe(16)
    expect(fromCompose.storage.kind === 's3' && fromCompose.storage.region).toBe('us-east-1')
  })

  test('without an API key the api refuses to start and names the variable', () => {
    const env = serviceEnvironment(compose, 'api', parseDotenv(envExample))
    expect(() => loadConfig(env)).toThrow(ConfigError)
    expect(() => loadConfig(env)).toThrow(/API_KEY/)
  })

  test('stop grace period outlasts the drain time', () => {
    const grace =
      (compose.services.api as { stop_grace_period?: string }).stop_grace_period ?? '10s'
    const env = serviceEnvironment(compose, 'api', {})
    expect(Number.parseInt(grace, 10) * 1000).toBeGreaterThan(Number(env.SHUTDOWN_TIMEOUT_MS))
  })
})

describe('.env.example', () => {
  test('documents every variable the service reads', () => {
    const documented = documentedVariables(envExample)
    expect(KNOWN_ENV_VARS.filter((name) => !documented.has(name))).toEqual([])
  })

  test('documents every variable docker-compose.yml substitutes', () => {
    const documented = documentedVariables(envExample)
    const referenced = [...referencedVariables(composeText)]
    expect(referenced).toContain('API_KEY')
    expect(referenced.filter((name) => !documented.has(name))).toEqual([])
  })

  test('sets no value that the configuration would reject', () => {
    const settings = parseDotenv(envExample)
    expect(Object.keys(settings)).toContain('API_KEY')
    expect(() => loadConfig({ ...settings, API_KEY: 'k' })).not.toThrow()
  })
})

describe('KNOWN_ENV_VARS', () => {
  test('covers every variable read in src/', async () => {
    const read = new Set<string>()
    for await (const file of new Glob('src/**/*.ts').scan(ROOT)) {
      const source = await Bun.file(`${ROOT}/${file}`).text()
      // Direct reads, and the legacy names resolveLegacy copies (`out.NAME`).
      for (const m of source.matchAll(/(?:process\.env|Bun\.env|\bout)\.([A-Z][A-Z0-9_]*)/g))
        read.add(m[1] as string)
    }
    expect(read.size).toBeGreaterThan(10)
    expect([...read].filter((name) => !known.has(name))).toEqual([])
  })
})

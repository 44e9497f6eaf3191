import { describe, expect, test } from 'bun:test'
import { Glob } from 'bun'
import { ConfigError, KNOWN_ENV_VARS, loadConfig } from '../src/config'
import {
  type ComposeFile,
  documentedVariables,
  interpolate,
  parseDotenv,
  ROOT,
  readCompose,
  readRootFile,
  referencedVariables,
  serviceEnvironment,
} from './support/deploy-files'

const { text: composeText, compose } = await readCompose()
const envExample = await readRootFile('.env.example')
const seaweedText = await readRootFile('docker-compose.seaweedfs.yml')
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

// The old Flask service's docker-compose.yml, as deployments of it run today.
const FLASK = {
  postgres: { major: 15, container: 'image_api_postgres', volume: 'postgres_data' },
  postgresDefaults: {
    POSTGRES_DB: 'imagedb',
    POSTGRES_USER: 'postgres',
    POSTGRES_PASSWORD: 'password',
  },
  minio: { container: 'image_api_minio', volume: 'minio_data', ports: [9000, 9001] },
  minioDefaults: { user: 'minioadmin', password: 'minioadmin' },
  apiPort: 8000,
  apiKeyDefault: 'your-secret-api-key-here',
}

type Mount = { source: string; target: string }
const mounts = (service: string): Mount[] =>
  (compose.services[service]?.volumes ?? []).map((v) => {
    const [source = '', target = ''] = v.split(':')
    return { source, target }
  })
/** Host port -> container port, with the .env given (compose defaults when empty). */
const publishedPorts = (service: string, vars: Record<string, string> = {}) =>
  Object.fromEntries(
    (compose.services[service]?.ports ?? []).map((p) => {
      const parts = interpolate(p, vars).split(':')
      return [Number(parts.at(-2)), Number(parts.at(-1))]
    }),
  )

describe("drop-in for the Flask service's compose file", () => {
  test('PostgreSQL stays on the major version the old postgres_data volume was initialised with', () => {
    const image = compose.services.postgres?.image ?? ''
    expect(image).toMatch(/^postgres:\d+(\.\d+)?-alpine@sha256:[0-9a-f]{64}$/)
    expect(Number(image.match(/^postgres:(\d+)/)?.[1])).toBe(FLASK.postgres.major)
  })

  test('the PostgreSQL defaults are the old ones, in compose and in .env.example', () => {
    for (const service of ['postgres', 'api']) {
      const env = serviceEnvironment(compose, service, {})
      for (const [name, value] of Object.entries(FLASK.postgresDefaults))
        expect(env[name]).toBe(value)
    }
    const example = parseDotenv(envExample)
    for (const [name, value] of Object.entries(FLASK.postgresDefaults))
      expect(example[name] ?? value).toBe(value)
    const config = loadConfig(serviceEnvironment(compose, 'api', { API_KEY: 'k' }))
    expect(config.database.kind === 'postgres' && config.database.url).toBe(
      'postgres://postgres:password@postgres:5432/imagedb',
    )
  })

  test('the data volumes have the old names, project-scoped like the old file', () => {
    expect(compose.services.postgres?.container_name).toBe(FLASK.postgres.container)
    expect(compose.services.minio?.container_name).toBe(FLASK.minio.container)
    expect(mounts('postgres')).toContainEqual({
      source: FLASK.postgres.volume,
      target: '/var/lib/postgresql/data',
    })
    expect(mounts('minio')).toContainEqual({ source: FLASK.minio.volume, target: '/data' })
    // No `name:`/`external:`: the full names are <project>_postgres_data, as with the old file,
    // and no top-level `name:` that would override COMPOSE_PROJECT_NAME or the directory name.
    const volumes = compose.volumes as Record<string, object | null>
    for (const volume of [FLASK.postgres.volume, FLASK.minio.volume]) {
      expect(Object.keys(volumes)).toContain(volume)
      expect(volumes[volume] ?? {}).toEqual({})
    }
    expect('name' in compose).toBe(false)
  })

  test('the ports are the old ones: API on 8000, MinIO on 9000 and 9001', () => {
    expect(publishedPorts('api')).toEqual({ [FLASK.apiPort]: 8000 })
    expect(publishedPorts('minio')).toEqual({ 9000: 9000, 9001: 9001 })
    expect(Object.keys(publishedPorts('minio')).map(Number)).toEqual(FLASK.minio.ports)
    // Presigned URLs point at the published S3 port by default.
    expect(serviceEnvironment(compose, 'api', {}).S3_PUBLIC_ENDPOINT).toBe('http://localhost:9000')
  })

  test('MinIO keeps the old default credentials, so an old .env without them still works', () => {
    const minio = serviceEnvironment(compose, 'minio', {})
    expect(minio.MINIO_ROOT_USER).toBe(FLASK.minioDefaults.user)
    expect(minio.MINIO_ROOT_PASSWORD).toBe(FLASK.minioDefaults.password)
  })

  test('the old well-known API key is not a default: production refuses to start without a key', () => {
    const env = serviceEnvironment(compose, 'api', {})
    expect(env.API_KEY).toBe('')
    expect(composeText).not.toContain(FLASK.apiKeyDefault)
    expect(() => loadConfig(env)).toThrow(/API_KEY/)
  })
})

describe('docker-compose.seaweedfs.yml (override)', () => {
  const override = Bun.YAML.parse(seaweedText) as ComposeFile
  const store = override.services.minio

  test('only replaces the object store: same service name, so the api and createbuckets are unchanged', () => {
    expect(Object.keys(override.services).sort()).toEqual(['createbuckets', 'minio'])
    // createbuckets keeps its image, credentials and bucket; only its script changes.
    expect(Object.keys(override.services.createbuckets ?? {})).toEqual(['command'])
    expect(store?.image).toMatch(/^chrislusf\/seaweedfs:[\d.]+@sha256:[0-9a-f]{64}$/)
    expect(store?.container_name).toBe('image_api_seaweedfs')
  })

  test('never mounts minio_data: its data goes to its own volume at the same path', () => {
    const overrideMounts = (store?.volumes ?? []).map((v) => v.split(':'))
    expect(overrideMounts).toEqual([['seaweedfs_data', '/data']])
    // Compose merges mounts by target path, so this one replaces minio_data:/data.
    expect(mounts('minio').map((m) => m.target)).toEqual(['/data'])
    expect(Object.keys(override.volumes ?? {})).toEqual(['seaweedfs_data'])
  })

  test('serves S3 on the port the api, createbuckets and the published port use', () => {
    const command = (store as { command?: string[] }).command ?? []
    expect(command.slice(0, 2)).toEqual(['server', '-s3'])
    expect(command).toContain('-s3.port=9000')
    expect(command).toContain('-ip.bind=0.0.0.0')
    expect(serviceEnvironment(compose, 'api', {}).MINIO_ENDPOINT_URL).toBe('http://minio:9000')
    expect(composeText).toContain('mc alias set local http://minio:9000')
    const script = String((override.services.createbuckets as { command?: string[] }).command)
    expect(script).toContain('mc alias set local http://minio:9000')
    expect(script).toContain('mc mb --ignore-existing "local/$$MINIO_BUCKET_NAME"')
    expect(script).not.toContain('anonymous')
    expect(Object.values(publishedPorts('minio'))).toContain(9000)
    expect(String(store?.healthcheck?.test)).toContain('http://127.0.0.1:9000/healthz')
  })

  test("its S3 credentials are the api's, whatever the .env says", () => {
    for (const vars of [
      {},
      userDotenv,
      { MINIO_ACCESS_KEY: 'a-user', MINIO_SECRET_KEY: 's3cret-key' },
    ]) {
      const seaweed = serviceEnvironment(override, 'minio', vars)
      const api = serviceEnvironment(compose, 'api', vars)
      expect(seaweed.AWS_ACCESS_KEY_ID).toBe(api.MINIO_ACCESS_KEY as string)
      expect(seaweed.AWS_SECRET_ACCESS_KEY).toBe(api.MINIO_SECRET_KEY as string)
    }
  })
})

describe('.env.example', () => {
  test('documents every variable the service reads', () => {
    const documented = documentedVariables(envExample)
    expect(KNOWN_ENV_VARS.filter((name) => !documented.has(name))).toEqual([])
  })

  test('documents every variable the compose files substitute', () => {
    const documented = documentedVariables(envExample)
    const referenced = [...referencedVariables(composeText), ...referencedVariables(seaweedText)]
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
    // The system's own, handed to a child process (the embedded database's initdb); not settings.
    const passedThrough = new Set(['PATH', 'HOME'])
    expect([...read].filter((name) => !known.has(name) && !passedThrough.has(name))).toEqual([])
  })
})

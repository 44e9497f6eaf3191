import { describe, expect, test } from 'bun:test'
import { ConfigError, loadConfig } from '../src/config'

describe('loadConfig', () => {
  test('no configuration: embedded PGlite and local store under ./data, port 8000', () => {
    const c = loadConfig({})
    expect(c.port).toBe(8000)
    expect(c.database).toEqual({ kind: 'pglite', dir: './data/pglite' })
    expect(c.storage).toEqual({ kind: 'local', dir: './data/objects' })
    expect(c.limits).toEqual({
      maxUploadBytes: 5 * 1024 * 1024,
      maxMetadataBytes: 64 * 1024,
      maxSide: 16384,
      maxPixels: 100_000_000,
      uploadBufferBytes: 32 * 1024 * 1024,
    })
    expect(c.gemini).toBeUndefined()
  })

  test("the old service's .env works unchanged", () => {
    const c = loadConfig({
      DB_HOST: 'postgres',
      POSTGRES_DB: 'image_metadata',
      POSTGRES_USER: 'user',
      POSTGRES_PASSWORD: 'p@ss word',
      MINIO_ENDPOINT_URL: 'http://minio:9000',
      MINIO_ACCESS_KEY: 'minioadmin',
      MINIO_SECRET_KEY: 'miniosecret',
      MINIO_BUCKET_NAME: 'images',
      API_KEY: 'k',
    })
    expect(c.database).toEqual({
      kind: 'postgres',
      url: 'postgres://user:p%40ss%20word@postgres:5432/image_metadata',
      poolMax: 16,
    })
    expect(c.storage).toMatchObject({
      kind: 's3',
      endpoint: 'http://minio:9000',
      publicEndpoint: 'http://minio:9000',
      bucket: 'images',
      accessKeyId: 'minioadmin',
      secretAccessKey: 'miniosecret',
    })
    expect(c.apiKeys).toEqual([{ name: 'default', key: 'k', readOnly: false }])
  })

  test('new names win over legacy ones', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://a@b/c',
      DB_HOST: 'ignored',
      S3_ENDPOINT: 'http://s3:9000',
      S3_BUCKET: 'new',
      MINIO_BUCKET_NAME: 'old',
      S3_PUBLIC_ENDPOINT: 'http://localhost:9000',
    })
    expect(c.database).toMatchObject({ url: 'postgres://a@b/c' })
    expect(c.storage).toMatchObject({ bucket: 'new', publicEndpoint: 'http://localhost:9000' })
  })

  test('API_KEYS with names and read-only keys', () => {
    const c = loadConfig({ API_KEYS: 'ci:abc, viewer:def:ro' })
    expect(c.apiKeys).toEqual([
      { name: 'ci', key: 'abc', readOnly: false },
      { name: 'viewer', key: 'def', readOnly: true },
    ])
  })

  test.each([
    [{ PORT: 'eighty' }, /^PORT: /],
    [{ PORT: '70000' }, /^PORT: /],
    [{ MAX_UPLOAD_BYTES: '-1' }, /^MAX_UPLOAD_BYTES: /],
    [{ DATABASE_URL: 'not a url' }, /^DATABASE_URL: /],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: /],
    [{ API_KEYS: 'nokey' }, /^API_KEYS: /],
    [{ API_KEYS: 'a:1,a:2' }, /^API_KEYS: /],
    [{ S3_BUCKET: 'b' }, /^S3_ENDPOINT: /],
    [{ NODE_ENV: 'production' }, /^API_KEY: /],
  ])('%p is refused naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError)
    expect(() => loadConfig(env)).toThrow(message)
  })

  test('production starts with an explicit key', () => {
    expect(loadConfig({ NODE_ENV: 'production', API_KEY: 'k' }).env).toBe('production')
  })
})

describe('pixel pipeline configuration', () => {
  test('defaults: four presets, concurrency 2, locations kept', () => {
    expect(loadConfig({}).pixels).toEqual({
      variantPresets: { thumb: 256, small: 512, medium: 1024, large: 2048 },
      variantConcurrency: 2,
      locationPolicy: 'keep',
    })
  })
  test('VARIANT_PRESETS redefines the presets; sides 16-8192 at the edges', () => {
    const c = loadConfig({ VARIANT_PRESETS: 'tiny:16, huge:8192', LOCATION_POLICY: 'strip' })
    expect(c.pixels.variantPresets).toEqual({ tiny: 16, huge: 8192 })
    expect(c.pixels.locationPolicy).toBe('strip')
    for (const bad of ['tiny:15', 'huge:8193', 'thumb', 'Thumb:256', 'a:1,a:20', 'x:20,,y:30']) {
      expect(() => loadConfig({ VARIANT_PRESETS: bad }), bad).toThrow(/^VARIANT_PRESETS: /)
    }
    expect(() => loadConfig({ LOCATION_POLICY: 'blur' })).toThrow(ConfigError)
  })
})

import { describe, expect, test } from 'bun:test'
import { ConfigError, loadConfig } from '../src/config'

describe('loadConfig', () => {
  test('no configuration: embedded PGlite and local store under ./data, port 8000', () => {
    const c = loadConfig({})
    expect(c.port).toBe(8000)
    expect(c.database).toEqual({
      kind: 'pglite',
      dir: './data/pglite',
      template: { kind: 'migrated' },
    })
    expect(c.storage).toEqual({ kind: 'local', dir: './data/objects' })
    expect(c.limits).toEqual({
      maxUploadBytes: 5 * 1024 * 1024,
      maxMetadataBytes: 64 * 1024,
      maxSide: 16384,
      maxPixels: 100_000_000,
      maxFrames: 1000,
      maxTotalFramePixels: 500_000_000,
      uploadBufferBytes: 32 * 1024 * 1024,
      maxAnalysisLength: 2000,
      maxTitleLength: 255,
      maxDescriptionLength: 10_000,
      maxTags: 100,
      maxTagLength: 100,
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
      // The old service created its bucket at start; so does this one unless told not to.
      createBucket: true,
    })
    expect(c.apiKeys).toEqual([{ name: 'default', key: 'k', readOnly: false }])
    expect(c.dbConnectTimeoutSeconds).toBe(30)
  })

  test('S3_CREATE_BUCKET and DB_CONNECT_TIMEOUT_SECONDS', () => {
    const s3 = { S3_ENDPOINT: 'http://s3:9000', S3_BUCKET: 'b' }
    expect(loadConfig({ ...s3, S3_CREATE_BUCKET: 'false' }).storage).toMatchObject({
      createBucket: false,
    })
    expect(loadConfig({ DB_CONNECT_TIMEOUT_SECONDS: '0' }).dbConnectTimeoutSeconds).toBe(0)
    expect(() => loadConfig({ ...s3, S3_CREATE_BUCKET: 'maybe' })).toThrow('S3_CREATE_BUCKET')
    expect(() => loadConfig({ DB_CONNECT_TIMEOUT_SECONDS: '-1' })).toThrow(
      'DB_CONNECT_TIMEOUT_SECONDS',
    )
  })

  test('PGLITE_SHARED_BUFFERS: a PostgreSQL size for the embedded database only', () => {
    expect(loadConfig({ PGLITE_SHARED_BUFFERS: '64MB' }).database).toMatchObject({
      kind: 'pglite',
      sharedBuffers: '64MB',
    })
    for (const bad of ['64', '64 MB', '0MB', 'lots', '1TB']) {
      expect(() => loadConfig({ PGLITE_SHARED_BUFFERS: bad })).toThrow('PGLITE_SHARED_BUFFERS')
    }
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
    [
      { NODE_ENV: 'production', API_KEY: 'k' },
      /^PUBLIC_BASE_URL: required when NODE_ENV=production/,
    ],
    [{ TRUST_PROXY: 'yes' }, /^TRUST_PROXY: /],
    [{ TRUST_PROXY: '11' }, /^TRUST_PROXY: /],
  ])('%p is refused naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError)
    expect(() => loadConfig(env)).toThrow(message)
  })

  test('production starts with an explicit key (and PUBLIC_BASE_URL for the local store)', () => {
    const production = { NODE_ENV: 'production', API_KEY: 'k' }
    const local = loadConfig({ ...production, PUBLIC_BASE_URL: 'https://img.example.com' })
    expect(local.env).toBe('production')
    expect(local.publicBaseUrl).toBe('https://img.example.com')
    // With S3 the links are presigned for S3_PUBLIC_ENDPOINT: the Host header is never used.
    const s3 = { S3_ENDPOINT: 'http://minio:9000', S3_BUCKET: 'images' }
    expect(loadConfig({ ...production, ...s3 }).publicBaseUrl).toBeUndefined()
  })

  test('TRUST_PROXY: off by default, true is one proxy, or a number of proxies', () => {
    expect(loadConfig({}).trustProxyHops).toBe(0)
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxyHops).toBe(0)
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxyHops).toBe(1)
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxyHops).toBe(2)
  })

  test('Gemini: a current model by default (also when GEMINI_MODEL is empty), output cap at its edges', () => {
    expect(loadConfig({ GEMINI_API_KEY: 'g' }).gemini?.model).toBe('gemini-3.8-flash')
    expect(loadConfig({ GEMINI_API_KEY: 'g', GEMINI_MODEL: ' ' }).gemini?.model).toBe(
      'gemini-3.8-flash',
    )
    expect(
      loadConfig({ GEMINI_API_KEY: 'g', GEMINI_MODEL: 'gemini-3.5-flash-lite' }).gemini?.model,
    ).toBe('gemini-3.5-flash-lite')
    expect(loadConfig({ GEMINI_MAX_OUTPUT_CHARS: '1' }).limits.maxAnalysisLength).toBe(1)
    expect(loadConfig({ GEMINI_MAX_OUTPUT_CHARS: '100000' }).limits.maxAnalysisLength).toBe(100_000)
    for (const bad of ['0', '100001', '1.5', 'many']) {
      expect(() => loadConfig({ GEMINI_MAX_OUTPUT_CHARS: bad })).toThrow(
        /^GEMINI_MAX_OUTPUT_CHARS: /,
      )
    }
  })
})

describe('loadConfig: near-duplicates', () => {
  test('default distance 7 and policy warn; distance 0-24 and the three policies at their edges', () => {
    expect(loadConfig({}).nearDuplicates).toEqual({ distance: 7, policy: 'warn' })
    expect(loadConfig({ NEAR_DUPLICATE_DISTANCE: '0' }).nearDuplicates.distance).toBe(0)
    expect(loadConfig({ NEAR_DUPLICATE_DISTANCE: '24' }).nearDuplicates.distance).toBe(24)
    expect(() => loadConfig({ NEAR_DUPLICATE_DISTANCE: '25' })).toThrow(/NEAR_DUPLICATE_DISTANCE/)
    expect(() => loadConfig({ NEAR_DUPLICATE_DISTANCE: '-1' })).toThrow(ConfigError)
    for (const policy of ['allow', 'warn', 'reject'] as const) {
      expect(loadConfig({ NEAR_DUPLICATE_POLICY: policy }).nearDuplicates.policy).toBe(policy)
    }
    expect(() => loadConfig({ NEAR_DUPLICATE_POLICY: 'block' })).toThrow(/NEAR_DUPLICATE_POLICY/)
  })
})

describe('pixel pipeline configuration', () => {
  test('defaults: four presets, concurrency 2, locations kept', () => {
    expect(loadConfig({}).pixels).toEqual({
      variantPresets: { thumb: 256, small: 512, medium: 1024, large: 2048 },
      variantConcurrency: 2,
      locationPolicy: 'keep',
      decodeUploads: true,
    })
  })
  test('UPLOAD_DECODE=off stores uploads undecoded; a location policy other than keep needs the decode', () => {
    expect(loadConfig({ UPLOAD_DECODE: 'off' }).pixels.decodeUploads).toBe(false)
    expect(() => loadConfig({ UPLOAD_DECODE: 'no' })).toThrow(/^UPLOAD_DECODE: /)
    for (const policy of ['strip', 'reject']) {
      expect(() => loadConfig({ UPLOAD_DECODE: 'off', LOCATION_POLICY: policy })).toThrow(
        /^LOCATION_POLICY: .*UPLOAD_DECODE=off/,
      )
    }
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

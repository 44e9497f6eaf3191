import { z } from 'zod'
import type { DatabaseOptions } from './db/client'

// Every variable the service reads. Legacy names of the old Flask service are folded into the new
// ones in `resolveLegacy`, so its `.env` keeps working unchanged.
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max)
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()))
const url = optionalString.pipe(z.url().optional())

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: int(0, 65535).default(8000),
  DATA_DIR: z.string().default('./data'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  PUBLIC_BASE_URL: url,

  DATABASE_URL: url,
  DB_POOL_MAX: int(1, 1000).default(16),

  S3_ENDPOINT: url,
  S3_PUBLIC_ENDPOINT: url,
  S3_BUCKET: optionalString,
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,

  API_KEY: optionalString,
  API_KEYS: optionalString,
  URL_SIGNING_SECRET: optionalString,
  DOWNLOAD_URL_TTL_SECONDS: int(1, 7 * 24 * 3600).default(3600),

  MAX_UPLOAD_BYTES: int(1).default(5 * 1024 * 1024),
  MAX_METADATA_BYTES: int(1).default(64 * 1024),
  MAX_IMAGE_SIDE: int(1).default(16384),
  MAX_IMAGE_PIXELS: int(1).default(100_000_000),
  UPLOAD_BUFFER_BYTES: int(1).default(32 * 1024 * 1024),

  SHUTDOWN_TIMEOUT_MS: int(0).default(10_000),
  // Bun closes a connection idle this long (a stalled or trickling client); 255 is Bun's maximum.
  HTTP_IDLE_TIMEOUT_SECONDS: int(1, 255).default(30),
  AUTH_FAILURE_LIMIT: int(1).default(20),
  AUTH_FAILURE_WINDOW_SECONDS: int(1).default(60),

  // Pixel pipeline (variants, EXIF, location privacy).
  VARIANT_PRESETS: optionalString,
  VARIANT_CONCURRENCY: int(1, 64).default(2),
  LOCATION_POLICY: z.enum(['keep', 'strip', 'reject']).default('keep'),

  GEMINI_API_KEY: optionalString,
  GEMINI_MODEL: z.string().default('gemini-2.5-flash'),
  GEMINI_PROMPT: z
    .string()
    .default('この画像について簡潔に説明してください（日本語で、100文字以内）'),
  GEMINI_TIMEOUT_MS: int(1).default(8000),
  GEMINI_BASE_URL: url,
  GEMINI_MAX_ATTEMPTS: int(1, 100).default(5),
  GEMINI_POLL_INTERVAL_MS: int(10).default(2000),
  GEMINI_RETRY_BASE_MS: int(1).default(10_000),
  GEMINI_RETRY_MAX_MS: int(1).default(30 * 60_000),
})

/** Names of the old Flask service's `.env`, folded into the new ones by `resolveLegacy`. */
export const LEGACY_ENV_VARS = [
  'DB_HOST',
  'DB_PORT',
  'POSTGRES_PORT',
  'POSTGRES_DB',
  'POSTGRES_USER',
  'POSTGRES_PASSWORD',
  'MINIO_ENDPOINT_URL',
  'MINIO_BUCKET_NAME',
  'MINIO_ACCESS_KEY',
  'MINIO_SECRET_KEY',
] as const

/** Every environment variable the service reads (deployment files are checked against it). */
export const KNOWN_ENV_VARS: readonly string[] = [
  ...Object.keys(envSchema.shape),
  ...LEGACY_ENV_VARS,
]

export type Env = Record<string, string | undefined>

export type ApiKeySpec = { name: string; key: string; readOnly: boolean }

export type Config = {
  env: 'development' | 'production' | 'test'
  host: string
  port: number
  dataDir: string
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent'
  publicBaseUrl?: string
  database: DatabaseOptions
  storage:
    | {
        kind: 's3'
        endpoint: string
        publicEndpoint: string
        bucket: string
        region: string
        accessKeyId?: string
        secretAccessKey?: string
      }
    | { kind: 'local'; dir: string }
  apiKeys: ApiKeySpec[]
  urlSigningSecret?: string
  downloadUrlTtlSeconds: number
  limits: {
    maxUploadBytes: number
    maxMetadataBytes: number
    maxSide: number
    maxPixels: number
    uploadBufferBytes: number
  }
  pixels: PixelConfig
  shutdownTimeoutMs: number
  httpIdleTimeoutSeconds: number
  /** Wrong API keys one client IP may present per window before it is refused with 429. */
  authFailures: { limit: number; windowSeconds: number }
  gemini?: {
    apiKey: string
    model: string
    prompt: string
    timeoutMs: number
    baseUrl?: string
    maxAttempts: number
    /** How often the background worker looks for due analyses. */
    pollIntervalMs: number
    /** First retry delay; doubles per attempt (with jitter) up to `retryMaxMs`. */
    retryBaseMs: number
    retryMaxMs: number
  }
}

export class ConfigError extends Error {}

export type LocationPolicy = 'keep' | 'strip' | 'reject'

export type PixelConfig = {
  /** Variant name -> longest side in pixels. */
  variantPresets: Record<string, number>
  /** Variants generated at once per process; each holds a decoded image in memory. */
  variantConcurrency: number
  locationPolicy: LocationPolicy
}

export const DEFAULT_VARIANT_PRESETS: Record<string, number> = {
  thumb: 256,
  small: 512,
  medium: 1024,
  large: 2048,
}

const PRESET_ENTRY = /^([a-z][a-z0-9_-]{0,31}):(\d{1,5})$/
const MAX_PRESETS = 16

/** `name:side,...`, e.g. `thumb:256,large:2048`; each side 16-8192 pixels. */
export function parseVariantPresets(raw: string | undefined): Record<string, number> {
  if (raw === undefined) return { ...DEFAULT_VARIANT_PRESETS }
  const presets: Record<string, number> = {}
  const entries = raw.split(',').map((e) => e.trim())
  for (const entry of entries) {
    const match = PRESET_ENTRY.exec(entry)
    const side = Number(match?.[2])
    if (!match?.[1] || side < 16 || side > 8192) {
      throw new ConfigError(
        'VARIANT_PRESETS: each entry must be name:side (name: a-z 0-9 _ -, side 16-8192), e.g. thumb:256,large:2048',
      )
    }
    if (match[1] in presets)
      throw new ConfigError(`VARIANT_PRESETS: duplicate preset "${match[1]}"`)
    presets[match[1]] = side
  }
  if (entries.length > MAX_PRESETS) {
    throw new ConfigError(`VARIANT_PRESETS: at most ${MAX_PRESETS} presets`)
  }
  return presets
}

function resolveLegacy(env: Env): Env {
  const out = { ...env }
  if (!out.DATABASE_URL && out.DB_HOST) {
    const user = encodeURIComponent(out.POSTGRES_USER ?? 'postgres')
    const password = out.POSTGRES_PASSWORD ? `:${encodeURIComponent(out.POSTGRES_PASSWORD)}` : ''
    const port = out.DB_PORT ?? out.POSTGRES_PORT ?? '5432'
    const db = encodeURIComponent(out.POSTGRES_DB ?? 'postgres')
    out.DATABASE_URL = `postgres://${user}${password}@${out.DB_HOST}:${port}/${db}`
  }
  out.S3_ENDPOINT ||= out.MINIO_ENDPOINT_URL
  out.S3_BUCKET ||= out.MINIO_BUCKET_NAME
  out.S3_ACCESS_KEY_ID ||= out.MINIO_ACCESS_KEY
  out.S3_SECRET_ACCESS_KEY ||= out.MINIO_SECRET_KEY
  return out
}

const KEY_NAME = /^[A-Za-z0-9_.-]{1,64}$/

/** `name:key[:ro],...`; the legacy single `API_KEY` becomes the read-write key `default`. */
export function parseApiKeys(apiKeys: string | undefined, legacyKey: string | undefined) {
  const keys: ApiKeySpec[] = []
  if (legacyKey) keys.push({ name: 'default', key: legacyKey, readOnly: false })
  for (const entry of (apiKeys ?? '').split(',')) {
    if (entry.trim() === '') continue
    const [name, key, mode, ...rest] = entry.trim().split(':')
    if (
      !name ||
      !KEY_NAME.test(name) ||
      !key ||
      rest.length > 0 ||
      (mode && mode !== 'ro' && mode !== 'rw')
    ) {
      throw new ConfigError(
        'API_KEYS: each entry must be name:key or name:key:ro (name: letters, digits, _ . -)',
      )
    }
    if (keys.some((k) => k.name === name))
      throw new ConfigError(`API_KEYS: duplicate key name "${name}"`)
    keys.push({ name, key, readOnly: mode === 'ro' })
  }
  return keys
}

export function loadConfig(rawEnv: Env = process.env): Config {
  const parsed = envSchema.safeParse(resolveLegacy(rawEnv))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const variable = issue?.path.join('.') || 'environment'
    throw new ConfigError(`${variable}: ${issue?.message ?? 'invalid value'}`)
  }
  const e = parsed.data
  const apiKeys = parseApiKeys(e.API_KEYS, e.API_KEY)
  if (e.NODE_ENV === 'production' && apiKeys.length === 0) {
    throw new ConfigError(
      'API_KEY: required when NODE_ENV=production (or set API_KEYS=name:key,...)',
    )
  }

  let storage: Config['storage'] = { kind: 'local', dir: `${e.DATA_DIR}/objects` }
  if (e.S3_ENDPOINT || e.S3_BUCKET) {
    if (!e.S3_BUCKET) throw new ConfigError('S3_BUCKET: required when S3_ENDPOINT is set')
    if (!e.S3_ENDPOINT) throw new ConfigError('S3_ENDPOINT: required when S3_BUCKET is set')
    storage = {
      kind: 's3',
      endpoint: e.S3_ENDPOINT,
      publicEndpoint: e.S3_PUBLIC_ENDPOINT ?? e.S3_ENDPOINT,
      bucket: e.S3_BUCKET,
      region: e.S3_REGION,
      accessKeyId: e.S3_ACCESS_KEY_ID,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY,
    }
  }

  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
    publicBaseUrl: e.PUBLIC_BASE_URL?.replace(/\/+$/, ''),
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, poolMax: e.DB_POOL_MAX }
      : { kind: 'pglite', dir: `${e.DATA_DIR}/pglite` },
    storage,
    apiKeys,
    urlSigningSecret: e.URL_SIGNING_SECRET,
    downloadUrlTtlSeconds: e.DOWNLOAD_URL_TTL_SECONDS,
    limits: {
      maxUploadBytes: e.MAX_UPLOAD_BYTES,
      maxMetadataBytes: e.MAX_METADATA_BYTES,
      maxSide: e.MAX_IMAGE_SIDE,
      maxPixels: e.MAX_IMAGE_PIXELS,
      uploadBufferBytes: e.UPLOAD_BUFFER_BYTES,
    },
    pixels: {
      variantPresets: parseVariantPresets(e.VARIANT_PRESETS),
      variantConcurrency: e.VARIANT_CONCURRENCY,
      locationPolicy: e.LOCATION_POLICY,
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    httpIdleTimeoutSeconds: e.HTTP_IDLE_TIMEOUT_SECONDS,
    authFailures: { limit: e.AUTH_FAILURE_LIMIT, windowSeconds: e.AUTH_FAILURE_WINDOW_SECONDS },
    gemini: e.GEMINI_API_KEY
      ? {
          apiKey: e.GEMINI_API_KEY,
          model: e.GEMINI_MODEL,
          prompt: e.GEMINI_PROMPT,
          timeoutMs: e.GEMINI_TIMEOUT_MS,
          baseUrl: e.GEMINI_BASE_URL,
          maxAttempts: e.GEMINI_MAX_ATTEMPTS,
          pollIntervalMs: e.GEMINI_POLL_INTERVAL_MS,
          retryBaseMs: e.GEMINI_RETRY_BASE_MS,
          retryMaxMs: Math.max(e.GEMINI_RETRY_MAX_MS, e.GEMINI_RETRY_BASE_MS),
        }
      : undefined,
  }
}

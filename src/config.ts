import { z } from 'zod'
import type { DatabaseOptions } from './db/client'
import {
  MAX_NEAR_DUPLICATE_DISTANCE,
  NEAR_DUPLICATE_POLICIES,
  type NearDuplicatePolicy,
} from './similarity/policy'
import type { StorageOptions } from './storage/open'

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
  // How long start-up retries an unreachable PostgreSQL (compose may start the API first).
  DB_CONNECT_TIMEOUT_SECONDS: int(0, 3600).default(30),
  // Embedded PGlite's buffer pool, a PostgreSQL size (e.g. 16MB); it is resident from the start.
  PGLITE_SHARED_BUFFERS: optionalString.pipe(
    z
      .string()
      .regex(/^[1-9]\d*(kB|MB|GB)$/, 'a size such as 16MB, 512kB or 1GB')
      .optional(),
  ),

  S3_ENDPOINT: url,
  S3_PUBLIC_ENDPOINT: url,
  S3_BUCKET: optionalString,
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,
  S3_CREATE_BUCKET: z
    .enum(['true', 'false', '1', '0'], { message: 'S3_CREATE_BUCKET: true or false' })
    .default('true')
    .transform((v) => v === 'true' || v === '1'),

  API_KEY: optionalString,
  API_KEYS: optionalString,
  URL_SIGNING_SECRET: optionalString,
  DOWNLOAD_URL_TTL_SECONDS: int(1, 7 * 24 * 3600).default(3600),

  MAX_UPLOAD_BYTES: int(1).default(5 * 1024 * 1024),
  MAX_METADATA_BYTES: int(1).default(64 * 1024),
  MAX_IMAGE_SIDE: int(1).default(16384),
  MAX_IMAGE_PIXELS: int(1).default(100_000_000),
  // Animation bounds (issue 10): frames, and pixels rendered for all frames at the canvas size.
  MAX_IMAGE_FRAMES: int(1).default(1000),
  MAX_TOTAL_FRAME_PIXELS: int(1).default(500_000_000),
  UPLOAD_BUFFER_BYTES: int(1).default(32 * 1024 * 1024),

  // Text bounds of an image, in characters; title 255 like the old service's varchar column.
  MAX_TITLE_LENGTH: int(1, 100_000).default(255),
  MAX_DESCRIPTION_LENGTH: int(1, 1_000_000).default(10_000),
  MAX_TAGS: int(0, 10_000).default(100),
  MAX_TAG_LENGTH: int(1, 10_000).default(100),

  SHUTDOWN_TIMEOUT_MS: int(0).default(10_000),
  // Bun closes a connection idle this long (a stalled or trickling client); 255 is Bun's maximum.
  HTTP_IDLE_TIMEOUT_SECONDS: int(1, 255).default(30),
  // /metrics: on the API's port behind this bearer token, and/or alone on METRICS_PORT (loopback).
  METRICS_TOKEN: optionalString.pipe(
    z.string().min(16, 'at least 16 characters (openssl rand -hex 32)').optional(),
  ),
  METRICS_PORT: z.preprocess((v) => (v === '' ? undefined : v), int(0, 65535).optional()),
  METRICS_HOST: z.string().default('127.0.0.1'),
  // `*`, a comma-separated list of origins (https://app.example.com), or `off`.
  CORS_ORIGINS: z.string().default('*'),
  AUTH_FAILURE_LIMIT: int(1).default(20),
  AUTH_FAILURE_WINDOW_SECONDS: int(1).default(60),
  // Reverse proxies in front that append to X-Forwarded-For: true = 1, false = 0 (ignore it).
  TRUST_PROXY: z
    .string()
    .optional()
    .transform((v) => {
      const value = v?.trim().toLowerCase()
      return value === 'true' ? '1' : value === 'false' || !value ? '0' : value
    })
    .pipe(
      z.coerce
        .number<string>({ error: 'must be true, false or a number of proxies (0-10)' })
        .int()
        .min(0)
        .max(10),
    ),

  // Pixel pipeline (variants, EXIF, location privacy).
  VARIANT_PRESETS: optionalString,
  VARIANT_CONCURRENCY: int(1, 64).default(2),
  LOCATION_POLICY: z.enum(['keep', 'strip', 'reject']).default('keep'),
  // Off: uploads are stored without looking at their pixels (the backfill can fill that in later).
  UPLOAD_DECODE: z.enum(['on', 'off']).default('on'),

  GEMINI_API_KEY: optionalString,
  // Current stable Flash (GA 2026-09-02) that takes image input; see the README's Gemini section.
  GEMINI_MODEL: optionalString.transform((v) => v ?? 'gemini-3.8-flash'),
  GEMINI_PROMPT: z
    .string()
    .default('この画像について簡潔に説明してください（日本語で、100文字以内）'),
  GEMINI_TIMEOUT_MS: int(1).default(8000),
  GEMINI_BASE_URL: url,
  GEMINI_MAX_ATTEMPTS: int(1, 100).default(5),
  GEMINI_POLL_INTERVAL_MS: int(10).default(2000),
  GEMINI_RETRY_BASE_MS: int(1).default(10_000),
  GEMINI_RETRY_MAX_MS: int(1).default(30 * 60_000),
  // Longest stored description (characters); longer model output is cut, so it stays bounded.
  GEMINI_MAX_OUTPUT_CHARS: int(1, 100_000).default(2000),

  // Near-duplicates (issue 14): Hamming distance of the 64-bit dHash, and what an upload does.
  NEAR_DUPLICATE_DISTANCE: int(0, MAX_NEAR_DUPLICATE_DISTANCE).default(7),
  NEAR_DUPLICATE_POLICY: z.enum(NEAR_DUPLICATE_POLICIES).default('warn'),
  // Web gallery at / (issue 15): on by default; sessions last this long after sign-in.
  GALLERY: z.enum(['on', 'off']).default('on'),
  GALLERY_SESSION_TTL_SECONDS: int(60, 30 * 24 * 3600).default(8 * 3600),
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
  /** Seconds start-up keeps retrying an unreachable PostgreSQL before it gives up (exit 1). */
  dbConnectTimeoutSeconds: number
  storage: StorageOptions
  apiKeys: ApiKeySpec[]
  urlSigningSecret?: string
  downloadUrlTtlSeconds: number
  limits: {
    maxUploadBytes: number
    maxMetadataBytes: number
    maxSide: number
    maxPixels: number
    maxFrames: number
    maxTotalFramePixels: number
    uploadBufferBytes: number
    /** Longest stored Gemini description, in characters (code points); longer output is cut. */
    maxAnalysisLength: number
    maxTitleLength: number
    maxDescriptionLength: number
    maxTags: number
    maxTagLength: number
  }
  pixels: PixelConfig
  shutdownTimeoutMs: number
  httpIdleTimeoutSeconds: number
  /** Where `/metrics` is served: on the API's port with a bearer token, on a port of its own. */
  metrics: { token?: string; port?: number; host: string }
  /** Origins browsers may call the API from: `*`, a list, or `off`. */
  corsOrigins: '*' | string[] | 'off'
  /** Wrong API keys one client IP may present per window before it is refused with 429. */
  authFailures: { limit: number; windowSeconds: number }
  /** Trusted reverse proxies in front; the client IP is the TRUST_PROXY-th X-Forwarded-For hop from the right. */
  trustProxyHops: number
  /** Near-duplicate verdict at upload: within `distance`, `policy` unless the request says. */
  nearDuplicates: { distance: number; policy: NearDuplicatePolicy }
  /** The web gallery; absent when GALLERY=off. */
  gallery?: { sessionTtlSeconds: number }
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
  /** Decode every upload (thumbhash, EXIF, perceptual hash); false stores the bytes only. */
  decodeUploads: boolean
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

/** `*`, `off`, or origins (scheme://host[:port], no path), comma-separated. */
export function parseCorsOrigins(value: string): '*' | string[] | 'off' {
  const text = value.trim()
  if (text === '*' || text === '') return '*'
  if (text.toLowerCase() === 'off') return 'off'
  return text.split(',').map((entry) => {
    const origin = entry.trim()
    let parsed: URL | undefined
    try {
      parsed = new URL(origin)
    } catch {}
    if (
      !parsed ||
      !/^https?:$/.test(parsed.protocol) ||
      parsed.origin !== origin.replace(/\/$/, '')
    ) {
      throw new ConfigError(
        `CORS_ORIGINS: "${origin}" is not an origin like https://app.example.com (or use * or off)`,
      )
    }
    return parsed.origin
  })
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
      createBucket: e.S3_CREATE_BUCKET,
    }
  }

  if (e.UPLOAD_DECODE === 'off' && e.LOCATION_POLICY !== 'keep') {
    throw new ConfigError(
      `LOCATION_POLICY: ${e.LOCATION_POLICY} needs each upload's EXIF read; it cannot be combined with UPLOAD_DECODE=off`,
    )
  }

  if (e.NODE_ENV === 'production' && storage.kind === 'local' && !e.PUBLIC_BASE_URL) {
    // Local download links would otherwise take their origin from the client's Host header.
    throw new ConfigError(
      'PUBLIC_BASE_URL: required when NODE_ENV=production with the local store (download links are built from it, never from the Host header)',
    )
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
      : {
          kind: 'pglite',
          dir: `${e.DATA_DIR}/pglite`,
          sharedBuffers: e.PGLITE_SHARED_BUFFERS,
          // A new database starts at the current schema: its first start has no migration to run.
          template: { kind: 'migrated' },
        },
    dbConnectTimeoutSeconds: e.DB_CONNECT_TIMEOUT_SECONDS,
    storage,
    apiKeys,
    urlSigningSecret: e.URL_SIGNING_SECRET,
    downloadUrlTtlSeconds: e.DOWNLOAD_URL_TTL_SECONDS,
    limits: {
      maxUploadBytes: e.MAX_UPLOAD_BYTES,
      maxMetadataBytes: e.MAX_METADATA_BYTES,
      maxSide: e.MAX_IMAGE_SIDE,
      maxPixels: e.MAX_IMAGE_PIXELS,
      maxFrames: e.MAX_IMAGE_FRAMES,
      maxTotalFramePixels: e.MAX_TOTAL_FRAME_PIXELS,
      uploadBufferBytes: e.UPLOAD_BUFFER_BYTES,
      maxAnalysisLength: e.GEMINI_MAX_OUTPUT_CHARS,
      maxTitleLength: e.MAX_TITLE_LENGTH,
      maxDescriptionLength: e.MAX_DESCRIPTION_LENGTH,
      maxTags: e.MAX_TAGS,
      maxTagLength: e.MAX_TAG_LENGTH,
    },
    pixels: {
      variantPresets: parseVariantPresets(e.VARIANT_PRESETS),
      variantConcurrency: e.VARIANT_CONCURRENCY,
      locationPolicy: e.LOCATION_POLICY,
      decodeUploads: e.UPLOAD_DECODE === 'on',
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    httpIdleTimeoutSeconds: e.HTTP_IDLE_TIMEOUT_SECONDS,
    corsOrigins: parseCorsOrigins(e.CORS_ORIGINS),
    metrics: { token: e.METRICS_TOKEN, port: e.METRICS_PORT, host: e.METRICS_HOST },
    authFailures: { limit: e.AUTH_FAILURE_LIMIT, windowSeconds: e.AUTH_FAILURE_WINDOW_SECONDS },
    trustProxyHops: e.TRUST_PROXY,
    nearDuplicates: { distance: e.NEAR_DUPLICATE_DISTANCE, policy: e.NEAR_DUPLICATE_POLICY },
    gallery: e.GALLERY === 'on' ? { sessionTtlSeconds: e.GALLERY_SESSION_TTL_SECONDS } : undefined,
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

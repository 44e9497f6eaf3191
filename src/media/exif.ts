import type { ImageFormat } from './inspect'
import { riffChunks, tiffStart } from './riff'

/** The EXIF/XMP fields kept as columns, plus the rest (bounded) for the `exif` jsonb. */
export type ExifFields = {
  takenAt: Date | null
  cameraMake: string | null
  cameraModel: string | null
  lens: string | null
  orientation: number | null
  gpsLatitude: number | null
  gpsLongitude: number | null
  gpsAltitude: number | null
  exif: Record<string, string | number | boolean | number[]> | null
}

export const NO_EXIF: ExifFields = {
  takenAt: null,
  cameraMake: null,
  cameraModel: null,
  lens: null,
  orientation: null,
  gpsLatitude: null,
  gpsLongitude: null,
  gpsAltitude: null,
  exif: null,
}

/** Upper bound of the serialised `exif` jsonb; tags past it are dropped whole. */
export const EXIF_JSON_MAX_BYTES = 8 * 1024
const MAX_STRING = 256
const MAX_ARRAY = 16

const PARSE_OPTIONS = {
  tiff: true,
  exif: true,
  gps: true,
  xmp: true,
  icc: false,
  iptc: false,
  jfif: false,
  ihdr: false,
  ifd1: false,
  interop: false,
  makerNote: false,
  userComment: false,
  translateKeys: true,
  translateValues: false,
  reviveValues: false,
  sanitize: true,
  mergeOutput: true,
  silentErrors: true,
}

// Already columns, or binary/structural tags of no use to a client.
const OWN_COLUMNS = new Set([
  'Make',
  'Model',
  'LensModel',
  'Lens',
  'Orientation',
  'DateTimeOriginal',
  'OffsetTimeOriginal',
  'latitude',
  'longitude',
])
const SKIPPED = new Set(['ExifIFDPointer', 'GPSIFDPointer', 'InteropIFDPointer', 'ThumbnailOffset'])

// Loaded by the first image with metadata: exifr is about 12 MB resident, unused at start-up.
// Kept, since an import() per call costs a tenth of a millisecond.
let exifrModule: Promise<typeof import('exifr')> | undefined
const loadExifr = () => {
  exifrModule ??= import('exifr')
  return exifrModule
}

/** Reads EXIF (and XMP) from the metadata segments only; malformed metadata reads as none. */
export async function readExif(bytes: Uint8Array, format: ImageFormat): Promise<ExifFields> {
  const source = exifSource(bytes, format)
  if (!source) return NO_EXIF
  let tags: Record<string, unknown> | undefined
  try {
    const { default: exifr } = await loadExifr()
    tags = await exifr.parse(source, PARSE_OPTIONS)
  } catch {
    return NO_EXIF
  }
  if (!tags || typeof tags !== 'object') return NO_EXIF
  return summarise(tags)
}

/** exifr reads JPEG and PNG itself; for WebP it gets the TIFF payload of the EXIF chunk. */
function exifSource(bytes: Uint8Array, format: ImageFormat): Uint8Array | undefined {
  if (format === 'jpeg' || format === 'png') return bytes
  if (format !== 'webp') return undefined
  const chunk = riffChunks(bytes).find((c) => c.type === 'EXIF')
  if (!chunk) return undefined
  return bytes.subarray(tiffStart(bytes, chunk.payload), chunk.payload + chunk.length)
}

export function summarise(tags: Record<string, unknown>): ExifFields {
  const latitude = gpsCoordinate(tags.GPSLatitude, tags.GPSLatitudeRef, 'S', 90)
  const longitude = gpsCoordinate(tags.GPSLongitude, tags.GPSLongitudeRef, 'W', 180)
  const located = latitude !== null && longitude !== null
  return {
    takenAt: exifDate(
      tags.DateTimeOriginal ?? tags.CreateDate ?? tags.DateTimeDigitized,
      tags.OffsetTimeOriginal ?? tags.OffsetTime,
    ),
    cameraMake: shortText(tags.Make),
    cameraModel: shortText(tags.Model),
    lens: shortText(tags.LensModel ?? tags.Lens),
    orientation: orientation(tags.Orientation),
    gpsLatitude: located ? latitude : null,
    gpsLongitude: located ? longitude : null,
    gpsAltitude: located ? altitude(tags.GPSAltitude, tags.GPSAltitudeRef) : null,
    exif: rest(tags),
  }
}

/** The other primitive tags, GPS excluded (location lives in its columns only), size-bounded. */
function rest(tags: Record<string, unknown>) {
  const out: Record<string, string | number | boolean | number[]> = {}
  let size = 2
  for (const [key, raw] of Object.entries(tags)) {
    if (OWN_COLUMNS.has(key) || SKIPPED.has(key) || key.startsWith('GPS')) continue
    const value = jsonValue(raw)
    if (value === undefined) continue
    const cost = JSON.stringify(key).length + JSON.stringify(value).length + 2
    if (size + cost > EXIF_JSON_MAX_BYTES) continue
    out[key] = value
    size += cost
  }
  return Object.keys(out).length > 0 ? out : null
}

function jsonValue(value: unknown): string | number | boolean | number[] | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value === 'boolean') return value
  if (typeof value === 'string') return shortText(value) ?? undefined
  if (Array.isArray(value) && value.length <= MAX_ARRAY && value.every(Number.isFinite)) {
    return value as number[]
  }
  return undefined
}

/** Trimmed text without NUL (PostgreSQL text cannot hold it), or null when empty or too long. */
function shortText(value: unknown): string | null {
  if (typeof value !== 'string') return null
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL padding is common in EXIF strings
  const text = value.replace(/\u0000/g, '').trim()
  return text && text.length <= MAX_STRING ? text : null
}

function orientation(value: unknown) {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 8
    ? value
    : null
}

const EXIF_DATE = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?/
const OFFSET = /^([+-])(\d{2}):(\d{2})$/

/** EXIF local time with its offset when the camera wrote one, else read as UTC. */
export function exifDate(value: unknown, offset: unknown): Date | null {
  if (typeof value !== 'string') return null
  const m = EXIF_DATE.exec(value.trim())
  if (!m) return null
  const [, y, mo, d, h, mi, s] = m.map(Number)
  if (!y || y < 1800 || y > 2200 || !mo || mo > 12 || !d || d > 31) return null
  let ms = Date.UTC(y, mo - 1, d, h ?? 0, mi ?? 0, s ?? 0)
  const o = typeof offset === 'string' ? OFFSET.exec(offset.trim()) : null
  if (o) ms -= (o[1] === '-' ? -1 : 1) * (Number(o[2]) * 60 + Number(o[3])) * 60_000
  const date = new Date(ms)
  return Number.isNaN(date.getTime()) ? null : date
}

function gpsCoordinate(value: unknown, ref: unknown, negative: string, max: number) {
  let degrees: number | undefined
  if (typeof value === 'number') degrees = value
  else if (Array.isArray(value) && value.length >= 1 && value.every(Number.isFinite)) {
    const [d = 0, m = 0, s = 0] = value as number[]
    degrees = d + m / 60 + s / 3600
  }
  if (degrees === undefined || !Number.isFinite(degrees) || Math.abs(degrees) > max) return null
  const sign = typeof ref === 'string' && ref.trim().toUpperCase() === negative ? -1 : 1
  return Math.round(sign * degrees * 1e7) / 1e7
}

function altitude(value: unknown, ref: unknown) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return null
  const below = ref === 1 || (ref instanceof Uint8Array && ref[0] === 1)
  return below ? -value : value
}

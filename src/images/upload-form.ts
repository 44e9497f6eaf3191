import { fileTooLarge, payloadTooLarge, readBodyLimited } from '../http/body'
import { ApiError, badRequest } from '../http/errors'
import { MAX_METADATA_DEPTH, nestingDepth } from '../http/json-depth'
import {
  MultipartError,
  type MultipartPart,
  multipartBoundary,
  parseMultipart,
} from '../http/multipart'
import { storedMetadataBytes } from './json-limits'
import { type TextLimits, type UploadMetadata, uploadMetadataSchema } from './schemas'

export type UploadLimits = { maxUploadBytes: number; maxMetadataBytes: number } & TextLimits

export type UploadForm = {
  /** `bytes` is a view into the request body, not a copy. */
  file: { name: string; bytes: Uint8Array }
  title: string
  description: string
  tags: string[]
  /** Every metadata field other than title, description and tags. */
  extra: Record<string, unknown>
  /** The `on_near_duplicate` form field as sent, unvalidated. */
  onNearDuplicate?: string
}

/** The form field (or query parameter) choosing the near-duplicate policy of one upload. */
export const NEAR_DUPLICATE_FIELD = 'on_near_duplicate'

// Room for multipart boundaries and part headers on top of the file and metadata limits.
const ENVELOPE_BYTES = 16 * 1024

/** The most an upload's body may be: what `parseUploadForm` buffers at most. */
export const uploadBodyLimit = (limits: UploadLimits) =>
  limits.maxUploadBytes + limits.maxMetadataBytes + ENVELOPE_BYTES

/** Parses and validates `POST /api/upload`'s multipart body, never buffering beyond the limits. */
export async function parseUploadForm(request: Request, limits: UploadLimits): Promise<UploadForm> {
  const parts = await readParts(request, uploadBodyLimit(limits), limits.maxUploadBytes)
  const file = imageFilePart(parts, limits.maxUploadBytes)

  // Every part but the file counts: plain fields (title=, blob=...) are stored like metadata.
  let fieldBytes = 0
  for (const part of parts) if (part.name !== 'image_file') fieldBytes += part.body.byteLength
  if (fieldBytes > limits.maxMetadataBytes) {
    throw payloadTooLarge(
      `"metadata" and the other form fields exceed the limit of ${limits.maxMetadataBytes} bytes together`,
    )
  }
  const meta = parseMetadata(parts, limits)
  const { title, description, tags, ...extra } = meta
  // As stored (compact JSON), the same bound as a PATCH: escapes can make a field grow sixfold.
  const stored = storedMetadataBytes({ title, description, tags: tags ?? [], metadata: extra })
  if (stored > limits.maxMetadataBytes) {
    throw payloadTooLarge(
      `title, description, tags and metadata would take ${stored} bytes stored; the limit is ${limits.maxMetadataBytes}`,
    )
  }
  const policies = parts.filter((p) => p.name === NEAR_DUPLICATE_FIELD)
  if (policies.length > 1) throw badRequest(`Send at most one "${NEAR_DUPLICATE_FIELD}" field`)
  return {
    file,
    title,
    description,
    tags: tags ?? [],
    extra,
    onNearDuplicate: policies[0] && text(policies[0]),
  }
}

/** A multipart body with only `image_file` (search by image): the same checks as an upload. */
export async function parseImageOnlyForm(request: Request, maxUploadBytes: number) {
  const parts = await readParts(request, maxUploadBytes + ENVELOPE_BYTES, maxUploadBytes)
  return imageFilePart(parts, maxUploadBytes)
}

async function readParts(
  request: Request,
  maxBody: number,
  maxUploadBytes: number,
): Promise<MultipartPart[]> {
  const boundary = multipartBoundary(request.headers.get('content-type') ?? '')
  if (boundary === undefined) {
    throw new ApiError(
      400,
      'No image file provided',
      'Send multipart/form-data with the image in the "image_file" field',
    )
  }
  // A body past every limit can only hold a file past its own: say so, as the old service did.
  const body = await readBodyLimited(request, maxBody, () => fileTooLarge(maxUploadBytes))
  try {
    return parseMultipart(body, boundary)
  } catch (err) {
    if (!(err instanceof MultipartError)) throw err
    throw badRequest(`The multipart body could not be parsed: ${err.message}`)
  }
}

function imageFilePart(parts: MultipartPart[], maxUploadBytes: number) {
  const files = parts.filter((p) => p.name === 'image_file')
  if (files.length === 0) {
    throw new ApiError(400, 'No image file provided', 'The "image_file" field is missing')
  }
  if (files.length > 1) throw badRequest('Send exactly one "image_file" part')
  const [file] = files
  if (file?.filename === undefined) throw badRequest('"image_file" must be a file part')
  if (file.body.byteLength === 0)
    throw new ApiError(400, 'Empty file', 'The uploaded file is empty')
  if (file.body.byteLength > maxUploadBytes) throw fileTooLarge(maxUploadBytes)
  return { name: file.filename, bytes: file.body }
}

const utf8 = new TextDecoder()

// Built once per configuration, not per request.
const schemas = new WeakMap<TextLimits, ReturnType<typeof uploadMetadataSchema>>()
function metadataSchemaFor(limits: TextLimits) {
  const cached = schemas.get(limits)
  if (cached) return cached
  const schema = uploadMetadataSchema(limits)
  schemas.set(limits, schema)
  return schema
}
const text = (part: MultipartPart) => utf8.decode(part.body)

function parseMetadata(parts: MultipartPart[], limits: UploadLimits): UploadMetadata {
  const fields = parts.filter((p) => p.name === 'metadata')
  if (fields.length > 1) throw badRequest('Send at most one "metadata" field')
  const [field] = fields
  let raw: unknown
  if (field === undefined) {
    raw = formFieldsAsMetadata(parts)
  } else {
    if (field.filename !== undefined) throw badRequest('"metadata" must be a text field')
    try {
      raw = JSON.parse(text(field))
    } catch {
      throw new ApiError(400, 'Invalid metadata JSON', '"metadata" is not valid JSON')
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ApiError(400, 'Invalid metadata', '"metadata" must be a JSON object')
  }
  if (nestingDepth(raw, MAX_METADATA_DEPTH) > MAX_METADATA_DEPTH) {
    throw new ApiError(
      400,
      'Invalid metadata',
      `"metadata" nests deeper than ${MAX_METADATA_DEPTH} levels`,
    )
  }
  if (!('title' in raw) || !('description' in raw)) {
    throw new ApiError(400, 'Missing metadata', 'Metadata must include "title" and "description"')
  }
  const parsed = metadataSchemaFor(limits).safeParse(raw)
  if (!parsed.success) {
    throw new ApiError(
      400,
      'Invalid metadata',
      parsed.error.issues.map((i) => `${i.path.join('.') || 'metadata'}: ${i.message}`).join('; '),
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    )
  }
  return parsed.data
}

// curl convenience: -F title=... -F description=... -F tags=a,b (or repeated) without JSON.
function formFieldsAsMetadata(parts: MultipartPart[]) {
  const out: Record<string, unknown> = {}
  for (const part of parts) {
    if (part.name === 'image_file' || part.name === NEAR_DUPLICATE_FIELD) continue
    if (part.filename !== undefined) continue
    const { name } = part
    const value = text(part)
    if (name === 'tags') {
      const tags = value
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean)
      out.tags = [...((out.tags as string[]) ?? []), ...tags]
    } else {
      out[name] = value
    }
  }
  return out
}

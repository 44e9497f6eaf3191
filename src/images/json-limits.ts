import type { JsonBodyLimits } from '../http/json-body'
import { MAX_METADATA_DEPTH } from '../http/json-depth'

// Room for a PATCH's own keys around the metadata it carries (`{"metadata":{...},"title":...}`).
const JSON_ENVELOPE_BYTES = 1024

/** The largest JSON request body: the metadata limit plus a small envelope. */
export const jsonBodyBytes = (limits: { maxMetadataBytes: number }) =>
  limits.maxMetadataBytes + JSON_ENVELOPE_BYTES

/** Limits of every JSON body: its bytes, and the metadata's depth plus the body's own object. */
export const jsonBodyLimits = (limits: { maxMetadataBytes: number }): JsonBodyLimits => ({
  maxBytes: jsonBodyBytes(limits),
  maxDepth: MAX_METADATA_DEPTH + 1,
})

/**
 * Bytes of an image's non-file fields as stored (compact JSON of title, description, tags and
 * metadata): what a PATCH may not push past `MAX_METADATA_BYTES`.
 */
export function storedMetadataBytes(fields: {
  title: string
  description: string
  tags: string[]
  metadata: Record<string, unknown>
}) {
  const { title, description, tags, metadata } = fields
  const doc = { ...metadata, title, description, ...(tags.length > 0 ? { tags } : {}) }
  return Buffer.byteLength(JSON.stringify(doc))
}

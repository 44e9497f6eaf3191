import { createRoute } from '@hono/zod-openapi'
import type { Config } from '../config'
import { MAX_METADATA_DEPTH } from '../http/json-depth'
import { errorResponses, jsonContent } from '../http/openapi-responses'
import { apiKeySecurity, createRouter, type Handler } from '../http/router'
import { SUPPORTED_FORMATS } from '../media/inspect'
import { jsonBodyBytes } from './json-limits'
import { limitsSchema } from './schemas'

export type LimitsRouteDeps = { limits: Config['limits']; pixels: Config['pixels'] }

const limitsRouteDefinition = createRoute({
  method: 'get',
  path: '/api/limits',
  operationId: 'getLimits',
  tags: ['service'],
  summary: 'The upload limits in force',
  security: apiKeySecurity,
  responses: {
    200: jsonContent(limitsSchema, 'Limits'),
    ...errorResponses(401),
  },
})

const showLimits = ({ limits, pixels }: LimitsRouteDeps): Handler<typeof limitsRouteDefinition> => {
  const body = {
    max_upload_bytes: limits.maxUploadBytes,
    max_metadata_bytes: limits.maxMetadataBytes,
    max_image_side: limits.maxSide,
    max_image_pixels: limits.maxPixels,
    max_image_frames: limits.maxFrames,
    max_total_frame_pixels: limits.maxTotalFramePixels,
    // Text bounds (characters) and JSON bodies: checked on upload and PATCH alike.
    max_title_length: limits.maxTitleLength,
    max_description_length: limits.maxDescriptionLength,
    max_tags: limits.maxTags,
    max_tag_length: limits.maxTagLength,
    max_json_body_bytes: jsonBodyBytes(limits),
    max_metadata_depth: MAX_METADATA_DEPTH,
    max_analysis_length: limits.maxAnalysisLength,
    accepted_formats: SUPPORTED_FORMATS.map((f) => ({
      mimetype: f.mimetype,
      extension: f.extension,
    })),
    // Pixel pipeline: what happens to GPS data, and the variant sizes on offer.
    location_policy: pixels.locationPolicy,
    upload_decode: pixels.decodeUploads,
    variant_presets: pixels.variantPresets,
  }
  return (c) => c.json(body, 200)
}

/** `GET /api/limits`: the limits the upload enforces, so clients can check before sending. */
export function limitsRoute(deps: LimitsRouteDeps) {
  return createRouter().openapi(limitsRouteDefinition, showLimits(deps))
}

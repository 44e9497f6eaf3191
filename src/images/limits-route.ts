import { createRoute } from '@hono/zod-openapi'
import type { ApiKeyRing } from '../auth/key-ring'
import type { Config } from '../config'
import { requireApiKey } from '../http/auth'
import { MAX_METADATA_DEPTH } from '../http/json-depth'
import { errorResponses } from '../http/openapi-responses'
import { apiKeySecurity, createRouter } from '../http/router'
import { SUPPORTED_FORMATS } from '../media/inspect'
import { jsonBodyBytes } from './json-limits'
import { limitsSchema } from './schemas'

/** `GET /api/limits`: the limits the upload enforces, so clients can check before sending. */
export function limitsRoute(deps: { keys: ApiKeyRing; limits: Config['limits'] }) {
  const app = createRouter()
  const { limits } = deps
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
  }
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/limits',
      operationId: 'getLimits',
      tags: ['service'],
      summary: 'The upload limits in force',
      security: apiKeySecurity,
      middleware: requireApiKey(deps.keys),
      responses: {
        200: { description: 'Limits', content: { 'application/json': { schema: limitsSchema } } },
        ...errorResponses(401),
      },
    }),
    (c) => c.json(body, 200),
  )
  return app
}

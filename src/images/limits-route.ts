import { createRoute } from '@hono/zod-openapi'
import type { ApiKeyRing } from '../auth/key-ring'
import type { Config } from '../config'
import { requireApiKey } from '../http/auth'
import { errorResponses } from '../http/openapi-responses'
import { apiKeySecurity, createRouter } from '../http/router'
import { SUPPORTED_FORMATS } from '../media/inspect'
import {
  limitsSchema,
  MAX_DESCRIPTION_LENGTH,
  MAX_TAG_LENGTH,
  MAX_TAGS,
  MAX_TITLE_LENGTH,
} from './schemas'

/** `GET /api/limits`: the limits the upload enforces, so clients can check before sending. */
export function limitsRoute(deps: {
  keys: ApiKeyRing
  limits: Config['limits']
  pixels: Config['pixels']
}) {
  const app = createRouter()
  const { limits } = deps
  const body = {
    max_upload_bytes: limits.maxUploadBytes,
    max_metadata_bytes: limits.maxMetadataBytes,
    max_image_side: limits.maxSide,
    max_image_pixels: limits.maxPixels,
    max_title_length: MAX_TITLE_LENGTH,
    max_description_length: MAX_DESCRIPTION_LENGTH,
    max_tags: MAX_TAGS,
    max_tag_length: MAX_TAG_LENGTH,
    accepted_formats: SUPPORTED_FORMATS.map((f) => ({
      mimetype: f.mimetype,
      extension: f.extension,
    })),
    // Pixel pipeline: what happens to GPS data, and the variant sizes on offer.
    location_policy: deps.pixels.locationPolicy,
    variant_presets: deps.pixels.variantPresets,
  }
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/limits',
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

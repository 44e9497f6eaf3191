import { createRoute, z } from '@hono/zod-openapi'
import { ApiError, notFound } from '../http/errors'
import { ifNoneMatchHits } from '../http/etag'
import { errorResponses } from '../http/openapi-responses'
import { apiKeySecurity, createRouter, type Handler } from '../http/router'
import { serveObject } from '../http/serve-object'
import {
  VARIANT_CONTENT_TYPES,
  VARIANT_FORMATS,
  type VariantFormat,
  VariantRenderError,
} from '../media/variant-render'
import { imageIdParams } from './schemas'
import type { ImageService } from './service'
import { type VariantService, VariantSourceGone } from './variants'

export type VariantRouteDeps = { images: ImageService; variants: VariantService }

const FORMAT_CHOICES = [...VARIANT_FORMATS, 'auto'] as const
const CACHE_CONTROL = 'public, max-age=31536000, immutable'

/** `format=auto`: the best the client says it accepts; JPEG is what every client takes. */
export function negotiateFormat(accept: string | undefined): VariantFormat {
  const types = (accept ?? '').toLowerCase()
  if (types.includes('image/avif')) return 'avif'
  if (types.includes('image/webp')) return 'webp'
  return 'jpeg'
}

const binary = {
  description: 'The variant (206: the requested range)',
  content: { 'image/*': { schema: { type: 'string' as const, format: 'binary' } } },
}

// The preset names come from VARIANT_PRESETS, so this definition is built per app.
const variantRouteFor = (method: 'get' | 'head', presets: Record<string, number>) => {
  const names = Object.keys(presets) as [string, ...string[]]
  return createRoute({
    method,
    path: '/api/images/{id}/variants/{preset}',
    operationId: method === 'get' ? 'getImageVariant' : 'headImageVariant',
    tags: ['content'],
    summary: method === 'get' ? 'A resized variant of the image' : 'Headers of a variant',
    description: `Fit inside the preset's longest side (${Object.entries(presets)
      .map(([n, s]) => `${n} ${s}`)
      .join(
        ', ',
      )}), never enlarged, auto-oriented, sRGB, no metadata; the first frame of an animation. Made on first request, then served from storage. Authorised by X-API-Key, or by the expires + signature of a \`variants\` URL.`,
    security: [...apiKeySecurity, {}],
    request: {
      params: imageIdParams.extend({
        preset: z
          .enum(names, { error: `must be one of ${names.join(', ')}` })
          .openapi({ param: { name: 'preset', in: 'path' }, example: names[0] }),
      }),
      headers: z.object({
        accept: z.string().optional().openapi({ description: 'Used by format=auto' }),
        range: z.string().optional().openapi({ example: 'bytes=0-1023' }),
        'if-none-match': z.string().optional(),
      }),
      query: z.object({
        format: z
          .enum(FORMAT_CHOICES, { error: `must be one of ${FORMAT_CHOICES.join(', ')}` })
          .optional()
          .openapi({ description: 'Default webp' }),
        expires: z.string().optional().openapi({ description: 'From variants' }),
        signature: z.string().optional().openapi({ description: 'From variants' }),
      }),
    },
    responses: {
      200: binary,
      206: binary,
      304: { description: 'Not modified (ETag matched)' },
      ...errorResponses(400, 401, 403, 404, 416, 422, 503),
    },
  })
}

/** A resized rendition, made once, then served from storage like the original. */
const serveVariant =
  ({ images, variants }: VariantRouteDeps): Handler<ReturnType<typeof variantRouteFor>> =>
  async (c) => {
    const { id, preset } = c.req.valid('param')
    const requested = c.req.valid('query').format ?? 'webp'
    const auto = requested === 'auto'
    const format = auto ? negotiateFormat(c.req.header('accept')) : requested
    const image = await images.findById(id)
    if (!image) throw notFound('No image with this id')
    const vary = auto ? { Vary: 'Accept' } : undefined
    const etag = variants.etag(image.md5Hash, preset, format)
    // The ETag follows from the content hash alone: a revalidation needs no render.
    if (ifNoneMatchHits(c.req.header('if-none-match'), etag)) {
      return c.body(null, 304, { ETag: etag, 'Cache-Control': CACHE_CONTROL, ...vary })
    }
    const serve = async (retry: boolean): Promise<Response> => {
      let stored: Awaited<ReturnType<VariantService['ensure']>>
      try {
        stored = await variants.ensure(image, preset, format)
      } catch (err) {
        if (err instanceof VariantSourceGone) throw notFound('No image with this id')
        if (err instanceof VariantRenderError) throw new ApiError(422, 'Invalid image', err.message)
        throw err
      }
      return serveObject(c, variants.storage, {
        key: stored.key,
        size: stored.size,
        contentType: VARIANT_CONTENT_TYPES[format],
        etag,
        cacheControl: CACHE_CONTROL,
        headers: vary,
        owner: { id: image.id },
        // Remembered as stored but gone (deleted with an earlier row of the same content): redo.
        onMissing: retry
          ? () => {
              variants.forget(stored.key)
              return serve(false)
            }
          : undefined,
      })
    }
    return serve(true)
  }

/** `GET|HEAD /api/images/:id/variants/:preset`. */
export function variantRoute(deps: VariantRouteDeps) {
  const { presets } = deps.variants
  return createRouter()
    .openapi(variantRouteFor('get', presets), serveVariant(deps))
    .openapi(variantRouteFor('head', presets), serveVariant(deps))
}

import { createRoute } from '@hono/zod-openapi'
import type { ApiKeyRing } from '../auth/key-ring'
import { requireApiKey } from '../http/auth'
import { badRequest, notFound } from '../http/errors'
import { errorResponses } from '../http/openapi-responses'
import { apiKeySecurity, createRouter } from '../http/router'
import type { DownloadLinks } from './download-links'
import { presentImage } from './present'
import {
  imageEnvelopeSchema,
  imageIdParams,
  imageListSchema,
  imagePatchSchema,
  listQuerySchema,
  md5Params,
} from './schemas'
import { type ImageService, InvalidCursor } from './service'

export type ImageRoutesDeps = { images: ImageService; links: DownloadLinks; keys: ApiKeyRing }

const json = <T>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})

/** The management API: list and search, read, update, delete, lookup by content hash. */
export function imageRoutes(deps: ImageRoutesDeps) {
  const { images, links, keys } = deps
  const app = createRouter()
  const middleware = requireApiKey(keys)
  const common = { security: apiKeySecurity, middleware, tags: ['images'] }

  const byMd5 = (method: 'get' | 'head') =>
    createRoute({
      ...common,
      method,
      path: '/api/images/by-md5/{md5}',
      summary: method === 'get' ? 'Find an image by the MD5 of its bytes' : 'Whether it exists',
      request: { params: md5Params },
      responses: {
        200: json(imageEnvelopeSchema, 'The image with these bytes'),
        ...errorResponses(400, 401, 404, 503),
      },
    })
  // Registered before `/api/images/{id}` routes so the literal segment wins.
  for (const method of ['get', 'head'] as const) {
    app.openapi(byMd5(method), async (c) => {
      const image = await images.findByMd5(c.req.valid('param').md5)
      if (!image) throw notFound('No image with this MD5')
      return c.json(
        {
          data: presentImage(
            image,
            links.forImage(image, c.req.url),
            links.forVariants(image, c.req.url),
          ),
        },
        200,
      )
    })
  }

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/api/images',
      summary: 'List and search images, newest first, one page at a time',
      request: { query: listQuerySchema },
      responses: {
        200: json(imageListSchema, 'A page of images and the cursor of the next one'),
        ...errorResponses(400, 401, 503),
      },
    }),
    async (c) => {
      let page: Awaited<ReturnType<ImageService['list']>>
      try {
        page = await images.list(c.req.valid('query'))
      } catch (err) {
        if (err instanceof InvalidCursor) {
          throw badRequest('cursor: not a cursor of this listing; start again without one')
        }
        throw err
      }
      return c.json(
        {
          data: page.images.map((image) =>
            presentImage(
              image,
              links.forImage(image, c.req.url),
              links.forVariants(image, c.req.url),
            ),
          ),
          next_cursor: page.nextCursor,
        },
        200,
      )
    },
  )

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/api/images/{id}',
      summary: 'One image, with a fresh download_url',
      request: { params: imageIdParams },
      responses: {
        200: json(imageEnvelopeSchema, 'The image'),
        ...errorResponses(400, 401, 404, 503),
      },
    }),
    async (c) => {
      const image = await images.findById(c.req.valid('param').id)
      if (!image) throw notFound('No image with this id')
      return c.json(
        {
          data: presentImage(
            image,
            links.forImage(image, c.req.url),
            links.forVariants(image, c.req.url),
          ),
        },
        200,
      )
    },
  )

  app.openapi(
    createRoute({
      ...common,
      method: 'patch',
      path: '/api/images/{id}',
      summary: 'Update title, description, tags; metadata is merged (null removes a key)',
      request: {
        params: imageIdParams,
        body: { required: true, content: { 'application/json': { schema: imagePatchSchema } } },
      },
      responses: {
        200: json(imageEnvelopeSchema, 'The updated image'),
        ...errorResponses(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const image = await images.update(c.req.valid('param').id, c.req.valid('json'))
      if (!image) throw notFound('No image with this id')
      return c.json(
        {
          data: presentImage(
            image,
            links.forImage(image, c.req.url),
            links.forVariants(image, c.req.url),
          ),
        },
        200,
      )
    },
  )

  app.openapi(
    createRoute({
      ...common,
      method: 'delete',
      path: '/api/images/{id}',
      summary: 'Delete the image: its row and its object',
      request: { params: imageIdParams },
      responses: {
        204: { description: 'Deleted' },
        ...errorResponses(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const deleted = await images.delete(c.req.valid('param').id)
      if (!deleted) throw notFound('No image with this id')
      return c.body(null, 204)
    },
  )

  return app
}

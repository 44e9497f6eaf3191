import { createRoute } from '@hono/zod-openapi'
import { payloadTooLarge } from '../http/body'
import { badRequest, notFound } from '../http/errors'
import { errorResponses, jsonContent } from '../http/openapi-responses'
import { apiKeySecurity, createRouter, type Handler } from '../http/router'
import { MetadataTooLarge } from './errors'
import type { ImagePresenter } from './present'
import {
  imageEnvelopeSchema,
  imageIdParams,
  imageListSchema,
  imagePatchSchema,
  listQuerySchema,
  md5Params,
  type TextLimits,
} from './schemas'
import { type ImageService, InvalidCursor } from './service'

export type ImageRoutesDeps = { images: ImageService; present: ImagePresenter; limits: TextLimits }

const common = { security: apiKeySecurity, tags: ['images'] }

const byMd5Route = (method: 'get' | 'head') =>
  createRoute({
    ...common,
    method,
    path: '/api/images/by-md5/{md5}',
    operationId: method === 'get' ? 'getImageByMd5' : 'headImageByMd5',
    summary: method === 'get' ? 'Find an image by the MD5 of its bytes' : 'Whether it exists',
    description:
      '`by-md5` is a literal segment, never an image id (ids are UUIDs), so this path and /api/images/{id}/… cannot name the same resource.',
    request: { params: md5Params },
    responses: {
      200: jsonContent(imageEnvelopeSchema, 'The image with these bytes'),
      ...errorResponses(400, 401, 404, 503),
    },
  })
const getByMd5Route = byMd5Route('get')
const headByMd5Route = byMd5Route('head')

const listRoute = createRoute({
  ...common,
  method: 'get',
  path: '/api/images',
  operationId: 'listImages',
  summary: 'List and search images, newest first, one page at a time',
  request: { query: listQuerySchema },
  responses: {
    200: jsonContent(imageListSchema, 'A page of images and the cursor of the next one'),
    ...errorResponses(400, 401, 503),
  },
})

const getRoute = createRoute({
  ...common,
  method: 'get',
  path: '/api/images/{id}',
  operationId: 'getImage',
  summary: 'One image, with a fresh download_url',
  request: { params: imageIdParams },
  responses: {
    200: jsonContent(imageEnvelopeSchema, 'The image'),
    ...errorResponses(400, 401, 404, 503),
  },
})

// The body schema carries the configured text limits, so this definition is built per app.
const updateRouteFor = (limits: TextLimits) =>
  createRoute({
    ...common,
    method: 'patch',
    path: '/api/images/{id}',
    operationId: 'updateImage',
    summary: 'Update title, description, tags; metadata is merged (null removes a key)',
    request: {
      params: imageIdParams,
      body: {
        required: true,
        content: { 'application/json': { schema: imagePatchSchema(limits) } },
      },
    },
    responses: {
      200: jsonContent(imageEnvelopeSchema, 'The updated image'),
      ...errorResponses(400, 401, 403, 404, 413, 503),
    },
  })

const deleteRoute = createRoute({
  ...common,
  method: 'delete',
  path: '/api/images/{id}',
  operationId: 'deleteImage',
  summary: 'Delete the image: its row and its object',
  description:
    '204: the image is gone; its object is removed now, or in the background if storage is down. 503: nothing was deleted, retry.',
  request: { params: imageIdParams },
  responses: {
    204: { description: 'Deleted' },
    ...errorResponses(400, 401, 403, 404, 503),
  },
})

const findByMd5 =
  ({ images, present }: ImageRoutesDeps): Handler<typeof getByMd5Route> =>
  async (c) => {
    const image = await images.findByMd5(c.req.valid('param').md5)
    if (!image) throw notFound('No image with this MD5')
    return c.json({ data: present(image, c.req.url) }, 200)
  }

const list =
  ({ images, present }: ImageRoutesDeps): Handler<typeof listRoute> =>
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
        data: page.images.map((image) => present(image, c.req.url)),
        next_cursor: page.nextCursor,
      },
      200,
    )
  }

const get =
  ({ images, present }: ImageRoutesDeps): Handler<typeof getRoute> =>
  async (c) => {
    const image = await images.findById(c.req.valid('param').id)
    if (!image) throw notFound('No image with this id')
    return c.json({ data: present(image, c.req.url) }, 200)
  }

const update =
  ({ images, present }: ImageRoutesDeps): Handler<ReturnType<typeof updateRouteFor>> =>
  async (c) => {
    let image: Awaited<ReturnType<ImageService['update']>>
    try {
      image = await images.update(c.req.valid('param').id, c.req.valid('json'))
    } catch (err) {
      if (err instanceof MetadataTooLarge) throw payloadTooLarge(err.message)
      throw err
    }
    if (!image) throw notFound('No image with this id')
    return c.json({ data: present(image, c.req.url) }, 200)
  }

const remove =
  ({ images }: ImageRoutesDeps): Handler<typeof deleteRoute> =>
  async (c) => {
    const deleted = await images.delete(c.req.valid('param').id)
    if (!deleted) throw notFound('No image with this id')
    return c.body(null, 204)
  }

/** The management API: list and search, read, update, delete, lookup by content hash. */
export function imageRoutes(deps: ImageRoutesDeps) {
  return (
    createRouter()
      // Before `/api/images/{id}` routes so the literal segment wins.
      .openapi(getByMd5Route, findByMd5(deps))
      .openapi(headByMd5Route, findByMd5(deps))
      .openapi(listRoute, list(deps))
      .openapi(getRoute, get(deps))
      .openapi(updateRouteFor(deps.limits), update(deps))
      .openapi(deleteRoute, remove(deps))
  )
}

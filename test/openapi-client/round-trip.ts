// Type-checked against the client generated from the served document (./api.ts, written next to a
// copy of this file by test/openapi-client.test.ts), then run against the test app.
import createClient from 'openapi-fetch'
import type { components, operations, paths } from './api'

type Image = components['schemas']['Image']

/** The operation names clients are generated with: a rename breaks them, so tsc fails here. */
export const OPERATION_IDS = [
  'uploadImage',
  'listImages',
  'getImage',
  'updateImage',
  'deleteImage',
  'getImageByMd5',
  'headImageByMd5',
  'getImageContent',
  'headImageContent',
  'analyzeImage',
  'getLimits',
  'getHealth',
] as const satisfies readonly (keyof operations)[]

/** Upload through the multipart endpoint, then list, get, patch, by-md5, limits, content, delete. */
export async function roundTrip(baseUrl: string, apiKey: string, jpeg: Uint8Array<ArrayBuffer>) {
  const client = createClient<paths>({ baseUrl, headers: { 'X-API-Key': apiKey } })

  const uploaded = await client.POST('/api/upload', {
    body: {
      image_file: new Blob([jpeg], { type: 'image/jpeg' }),
      metadata: JSON.stringify({
        title: 'Generated',
        description: 'Via openapi-fetch',
        tags: ['gen'],
      }),
    },
    bodySerializer(body) {
      const form = new FormData()
      form.append('image_file', new File([body.image_file], 'client.jpg', { type: 'image/jpeg' }))
      if (body.metadata !== undefined) form.append('metadata', body.metadata)
      return form
    },
  })
  if (!uploaded.data) throw new Error(`upload answered ${uploaded.response.status}`)
  const created: Image = uploaded.data.data
  const path = { id: created.id }

  const listed = await client.GET('/api/images', { params: { query: { tag: 'gen', limit: 10 } } })
  const got = await client.GET('/api/images/{id}', { params: { path } })
  const patched = await client.PATCH('/api/images/{id}', {
    params: { path },
    body: { title: 'Renamed', metadata: { source: 'client' } },
  })
  const byMd5 = await client.GET('/api/images/by-md5/{md5}', {
    params: { path: { md5: created.md5_hash } },
  })
  const limits = await client.GET('/api/limits')
  const content = await client.GET('/api/images/{id}/content', {
    params: { path },
    parseAs: 'arrayBuffer',
  })
  const deleted = await client.DELETE('/api/images/{id}', { params: { path } })
  const gone = await client.GET('/api/images/{id}', { params: { path } })

  return {
    created,
    listedIds: listed.data?.data.map((image) => image.id),
    nextCursor: listed.data?.next_cursor,
    got: got.data?.data,
    patched: patched.data?.data,
    byMd5: byMd5.data?.data,
    maxUploadBytes: limits.data?.max_upload_bytes,
    acceptedMimetypes: limits.data?.accepted_formats.map((format) => format.mimetype),
    contentBytes: content.data ? new Uint8Array(content.data) : undefined,
    deletedStatus: deleted.response.status,
    gone: { status: gone.response.status, error: gone.error?.error, message: gone.error?.message },
  }
}

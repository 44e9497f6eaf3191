import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Ajv2020 from 'ajv/dist/2020'
import addFormats from 'ajv-formats'
import { call, READ_KEY } from './support/api'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { makeJpeg, md5Hex, withJpegComment } from './support/images'

type Operation = {
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>
  security?: unknown[]
}
type Document = {
  openapi: string
  paths: Record<string, Record<string, Operation>>
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> }
}

describe('GET /openapi.json', () => {
  let t: TestApp
  let doc: Document
  let ajv: Ajv2020
  beforeAll(async () => {
    t = await startTestApp()
    const res = await call(t.url, 'GET', '/openapi.json', { key: READ_KEY })
    expect(res.status).toBe(200)
    doc = await json(res)
    ajv = new Ajv2020({ strict: false })
    addFormats(ajv)
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      ajv.addSchema(schema as object, `#/components/schemas/${name}`)
    }
  })
  afterAll(() => t?.stop())

  /** Fails unless `body` matches what the document promises for this operation and status. */
  function expectDocumented(method: string, path: string, status: number, body?: unknown) {
    const operation = doc.paths[path]?.[method]
    expect(operation, `${method} ${path} is documented`).toBeDefined()
    const response = operation?.responses[String(status)]
    expect(response, `${method} ${path} documents ${status}`).toBeDefined()
    if (body === undefined) return
    const schema = response?.content?.['application/json']?.schema
    expect(schema, `${method} ${path} ${status} has a JSON schema`).toBeDefined()
    const validate = ajv.compile(schema as object)
    const valid = validate(body)
    expect(valid ? [] : validate.errors).toEqual([])
  }

  test('is OpenAPI 3.1 and needs a key', async () => {
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.components.securitySchemes.ApiKey).toEqual({
      type: 'apiKey',
      in: 'header',
      name: 'X-API-Key',
    })
    expect((await call(t.url, 'GET', '/openapi.json', { key: null })).status).toBe(401)
  })

  test('documents every route the app registers', () => {
    const registered = new Set<string>()
    for (const route of t.app.routes) {
      if (route.method === 'ALL' || route.path.includes('*') || route.path === '/openapi.json') {
        continue
      }
      const path = route.path.replace(/:(\w+)/g, '{$1}')
      registered.add(`${route.method.toLowerCase()} ${path}`)
    }
    const documented = new Set<string>()
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const method of Object.keys(operations)) documented.add(`${method} ${path}`)
    }
    expect(registered.size).toBeGreaterThan(8)
    expect([...registered].filter((r) => !documented.has(r))).toEqual([])
    expect([...documented].filter((d) => !registered.has(d))).toEqual([])
  })

  test('real responses of every endpoint match their documented schemas', async () => {
    const bytes = withJpegComment(makeJpeg(10, 10), 'openapi')
    const created = await upload(t.url, bytes, { metadata: { title: 'T', description: 'D' } })
    const createdBody = await json(created)
    expectDocumented('post', '/api/upload', 201, createdBody)
    expectDocumented('post', '/api/upload', 409, await json(await upload(t.url, bytes)))
    expectDocumented(
      'post',
      '/api/upload',
      401,
      await json(await upload(t.url, bytes, { key: null })),
    )
    expectDocumented(
      'post',
      '/api/upload',
      400,
      await json(await upload(t.url, bytes, { metadata: '{bad' })),
    )
    const id = createdBody.data.id
    const md5 = md5Hex(bytes)

    const checks: [string, string, string, number, unknown?][] = [
      ['get', '/api/images', '/api/images?limit=5', 200],
      ['get', '/api/images', '/api/images?limit=0', 400],
      ['get', '/api/images/{id}', `/api/images/${id}`, 200],
      ['get', '/api/images/{id}', '/api/images/00000000-0000-4000-8000-000000000000', 404],
      ['get', '/api/images/{id}', '/api/images/bad', 400],
      ['patch', '/api/images/{id}', `/api/images/${id}`, 200, { title: 'New' }],
      ['patch', '/api/images/{id}', `/api/images/${id}`, 400, {}],
      ['get', '/api/images/by-md5/{md5}', `/api/images/by-md5/${md5}`, 200],
      ['get', '/api/images/by-md5/{md5}', `/api/images/by-md5/${'0'.repeat(32)}`, 404],
      ['get', '/api/images/by-md5/{md5}', '/api/images/by-md5/xyz', 400],
      ['get', '/api/limits', '/api/limits', 200],
      ['get', '/health', '/health', 200],
      ['get', '/api/images/{id}/content', '/api/images/bad/content', 400],
    ]
    for (const [method, path, url, status, body] of checks) {
      const res = await call(t.url, method.toUpperCase(), url, { body })
      expect(`${method} ${url} → ${res.status}`).toBe(`${method} ${url} → ${status}`)
      expectDocumented(method, path, status, await json(res))
    }

    const content = await call(t.url, 'GET', `/api/images/${id}/content`)
    expectDocumented('get', '/api/images/{id}/content', content.status)
    expect(content.headers.get('content-type')).toBe('image/jpeg')
    const head = await call(t.url, 'HEAD', `/api/images/by-md5/${md5}`)
    expectDocumented('head', '/api/images/by-md5/{md5}', head.status)

    const deleted = await call(t.url, 'DELETE', `/api/images/${id}`)
    expectDocumented('delete', '/api/images/{id}', deleted.status)
    expect(deleted.status).toBe(204)
    const again = await call(t.url, 'DELETE', `/api/images/${id}`)
    expectDocumented('delete', '/api/images/{id}', 404, await json(again))
    const readOnly = await call(t.url, 'PATCH', `/api/images/${id}`, {
      body: { title: 'x' },
      key: READ_KEY,
    })
    expectDocumented('patch', '/api/images/{id}', 403, await json(readOnly))
  })
})

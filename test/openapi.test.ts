import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Ajv2020 from 'ajv/dist/2020'
import addFormats from 'ajv-formats'
import { isGalleryPath } from '../src/gallery/routes'
import { call, READ_KEY } from './support/api'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { makeJpeg, md5Hex, withJpegComment } from './support/images'
import { makeScene, makeVariant } from './support/photos'

type Operation = {
  operationId?: string
  tags?: string[]
  parameters?: { name: string; in: string; schema: object }[]
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>
  security?: unknown[]
}
type Document = {
  openapi: string
  info: { license?: { name: string } }
  servers?: { url: string; description?: string }[]
  tags?: { name: string }[]
  paths: Record<string, Record<string, Operation>>
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> }
}

type Example = { at: string; schema: object; value: unknown }

/** Every `example` / `examples` in the document, with the schema it illustrates. */
function documentedExamples(node: unknown, at = '#'): Example[] {
  if (typeof node !== 'object' || node === null) return []
  if (Array.isArray(node)) return node.flatMap((item, i) => documentedExamples(item, `${at}/${i}`))
  const { example, examples, ...rest } = node as Record<string, unknown>
  const found: Example[] = []
  // A parameter or media type carries its example beside `schema`; a schema carries its own.
  const schema = 'schema' in rest ? rest.schema : rest
  if (example !== undefined)
    found.push({ at: `${at}/example`, schema: schema as object, value: example })
  if (Array.isArray(examples)) {
    examples.forEach((value, i) => {
      found.push({ at: `${at}/examples/${i}`, schema: schema as object, value })
    })
  } else if (typeof examples === 'object' && examples !== null) {
    for (const [name, entry] of Object.entries(examples)) {
      const value = (entry as { value?: unknown }).value
      found.push({ at: `${at}/examples/${name}`, schema: schema as object, value })
    }
  }
  for (const [key, child] of Object.entries(rest)) {
    found.push(
      ...documentedExamples(child, `${at}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`),
    )
  }
  return found
}

/** Every `pattern` string of every schema in the document. */
function documentedPatterns(node: unknown): string[] {
  if (typeof node !== 'object' || node === null) return []
  const own = (node as { pattern?: unknown }).pattern
  return [
    ...(typeof own === 'string' ? [own] : []),
    ...Object.values(node).flatMap((child) => documentedPatterns(child)),
  ]
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

  test('every operation has its stable operationId, a declared tag and a 4xx response', () => {
    const ids: Record<string, string | undefined> = {}
    const declaredTags = new Set(doc.tags?.map((tag) => tag.name))
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        ids[`${method} ${path}`] = operation.operationId
        expect(operation.tags?.length, `${method} ${path} has a tag`).toBe(1)
        for (const tag of operation.tags ?? []) expect(declaredTags).toContain(tag)
        const statuses = Object.keys(operation.responses)
        expect(
          statuses.some((s) => s.startsWith('4')),
          `${method} ${path} has a 4xx`,
        ).toBe(true)
        expect(operation.security, `${method} ${path} states its security`).toBeDefined()
      }
    }
    // Generated clients name their methods after these: renaming one breaks them.
    expect(ids).toEqual({
      'post /api/upload': 'uploadImage',
      'get /api/images': 'listImages',
      'get /api/images/{id}': 'getImage',
      'patch /api/images/{id}': 'updateImage',
      'delete /api/images/{id}': 'deleteImage',
      'get /api/images/by-md5/{md5}': 'getImageByMd5',
      'head /api/images/by-md5/{md5}': 'headImageByMd5',
      'get /api/images/{id}/content': 'getImageContent',
      'head /api/images/{id}/content': 'headImageContent',
      'head /api/images/{id}/variants/{preset}': 'headImageVariant',
      'post /api/images/{id}/analyze': 'analyzeImage',
      'get /api/images/{id}/similar': 'listSimilarImages',
      'get /api/images/{id}/variants/{preset}': 'getImageVariant',
      'post /api/images/search-by-image': 'searchByImage',
      'get /api/limits': 'getLimits',
      'get /health': 'getHealth',
    })
    expect(doc.paths['/health']?.get?.security).toEqual([])
  })

  test('names its server (the origin asked) and a license', () => {
    expect(doc.servers).toEqual([{ url: t.url, description: 'This deployment' }])
    expect(doc.info.license?.name).toBeString()
  })

  test('every pattern is a flagless ECMA-262 regex and every example matches its schema', () => {
    const patterns = documentedPatterns(doc)
    expect(patterns.length).toBeGreaterThanOrEqual(9) // 6 id, 2 md5 parameters, Image.md5_hash
    for (const pattern of patterns) {
      expect(() => new RegExp(pattern, 'u'), pattern).not.toThrow()
      // A JavaScript flag leaking into the source (`…$/i`) still compiles but matches nothing.
      expect(pattern, 'no leaked /flags').not.toMatch(/\/[dgimsuvy]+$/)
    }

    const examples = documentedExamples(doc.paths)
    expect(examples.length).toBeGreaterThanOrEqual(9) // 6 id, 2 md5, the Range header
    for (const { at, schema, value } of examples) {
      const validate = ajv.compile(schema)
      expect(validate(value) ? [] : [at, validate.errors], at).toEqual([])
    }
    // The check above catches the leaked flag: the old pattern rejects its own example.
    const leaked = ajv.compile({ type: 'string', pattern: '^[0-9a-f]{32}$/i' })
    expect(leaked('9e107d9d372bb6826bd81d3542a419d6')).toBe(false)
  })

  test('the id and MD5 patterns accept what the routes accept: either case', async () => {
    const bytes = withJpegComment(makeJpeg(9, 9), 'openapi upper case')
    const id: string = (await json(await upload(t.url, bytes))).data.id
    const cases = [
      ['/api/images/{id}', 'id', id.toUpperCase(), `/api/images/${id.toUpperCase()}`],
      ['/api/images/by-md5/{md5}', 'md5', md5Hex(bytes).toUpperCase(), null],
    ] as const
    for (const [path, name, value, url] of cases) {
      const parameter = doc.paths[path]?.get?.parameters?.find((p) => p.name === name)
      expect(parameter, `${path} documents ${name}`).toBeDefined()
      const validate = ajv.compile(parameter?.schema ?? {})
      expect(validate(value), `${value} matches the documented ${name}`).toBe(true)
      expect(validate(value.replace(/.$/, 'g')), 'a non-hex digit does not').toBe(false)
      const res = await call(t.url, 'GET', url ?? `/api/images/by-md5/${value}`)
      expect(res.status).toBe(200)
      expect((await json(res)).data.id).toBe(id)
    }
    expect((await call(t.url, 'DELETE', `/api/images/${id}`)).status).toBe(204)
  })

  test('documents every route the app registers', () => {
    const registered = new Set<string>()
    for (const route of t.app.routes) {
      if (route.method === 'ALL' || route.path.includes('*') || route.path === '/openapi.json') {
        continue
      }
      // The web gallery's HTML pages are not part of the JSON API the document describes.
      if (isGalleryPath(route.path)) continue
      const path = route.path.replace(/:(\w+)/g, '{$1}')
      registered.add(`${route.method.toLowerCase()} ${path}`)
    }
    const documented = new Set<string>()
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const method of Object.keys(operations)) documented.add(`${method} ${path}`)
    }
    expect(registered.size).toBeGreaterThan(8)
    expect(Object.keys(doc.paths).filter((p) => isGalleryPath(p))).toEqual([])
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
      ['get', '/api/images/{id}/similar', `/api/images/${id}/similar?max_distance=24`, 200],
      ['get', '/api/images/{id}/similar', `/api/images/${id}/similar?max_distance=25`, 400],
      [
        'get',
        '/api/images/{id}/similar',
        '/api/images/00000000-0000-4000-8000-000000000000/similar',
        404,
      ],
    ]
    for (const [method, path, url, status, body] of checks) {
      const res = await call(t.url, method.toUpperCase(), url, { body })
      expect(`${method} ${url} → ${res.status}`).toBe(`${method} ${url} → ${status}`)
      expectDocumented(method, path, status, await json(res))
    }

    // Near-duplicates: a picture, a recompressed copy (201 naming it), a refused copy (409).
    const scene = await makeScene(11)
    const original = await upload(t.url, scene, { metadata: { title: 'S', description: 'D' } })
    expectDocumented('post', '/api/upload', 201, await json(original))
    const copy = await makeVariant(scene, 'jpeg60')
    const refused = await upload(t.url, copy, { fields: { on_near_duplicate: 'reject' } })
    const refusedBody = await json(refused)
    expect(refusedBody.error).toBe('Similar image exists')
    expectDocumented('post', '/api/upload', 409, refusedBody)
    const warned = await json(await upload(t.url, copy, { fields: { on_near_duplicate: 'warn' } }))
    expect(warned.near_duplicates).toHaveLength(1)
    expectDocumented('post', '/api/upload', 201, warned)
    const similar = await json(await call(t.url, 'GET', `/api/images/${warned.data.id}/similar`))
    expect(similar.data).toHaveLength(1)
    expectDocumented('get', '/api/images/{id}/similar', 200, similar)
    const form = new FormData()
    form.append('image_file', new File([scene as Uint8Array<ArrayBuffer>], 's.png'))
    const search = await fetch(`${t.url}/api/images/search-by-image`, {
      method: 'POST',
      body: form,
      headers: { 'X-API-Key': READ_KEY },
    })
    const searchBody = await json(search)
    expect(searchBody.data).toHaveLength(2)
    expectDocumented('post', '/api/images/search-by-image', 200, searchBody)
    const notImage = new FormData()
    notImage.append('image_file', new File(['not an image'], 'x.png'))
    const refusedSearch = await fetch(`${t.url}/api/images/search-by-image`, {
      method: 'POST',
      body: notImage,
      headers: { 'X-API-Key': READ_KEY },
    })
    expectDocumented('post', '/api/images/search-by-image', 415, await json(refusedSearch))

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

describe('GET /openapi.json: the wrong-key throttle', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_FAILURE_LIMIT: '1' } })
  })
  afterAll(() => t?.stop())

  test('its 429 is documented on keyed routes and on /health, with the error body', async () => {
    const res = await call(t.url, 'GET', '/openapi.json', { key: READ_KEY })
    const doc: Document = await json(res)
    expect((await call(t.url, 'GET', '/api/limits', { key: 'wrong-key' })).status).toBe(401)

    const ajv = new Ajv2020({ strict: false })
    ajv.addSchema(doc.components.schemas.Error as object, '#/components/schemas/Error')
    for (const [path, url] of [
      ['/api/limits', '/api/limits'],
      ['/api/images/{id}', '/api/images/00000000-0000-4000-8000-000000000000'],
      ['/health', '/health'],
    ] as const) {
      // Only wrong keys are throttled: a valid key always passes (issue 10, item 11).
      const throttled = await call(t.url, 'GET', url, { key: 'wrong-key' })
      expect(throttled.status).toBe(429)
      const response = doc.paths[path]?.get?.responses['429']
      expect(response, `get ${path} documents 429`).toBeDefined()
      const validate = ajv.compile(response?.content?.['application/json']?.schema as object)
      const body = await json(throttled)
      expect(validate(body) ? [] : validate.errors).toEqual([])
    }
    // Without a key /health is never throttled.
    expect((await call(t.url, 'GET', '/health', { key: null })).status).toBe(200)
  })
})

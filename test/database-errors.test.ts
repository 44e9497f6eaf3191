import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { describeError } from '../src/db/errors'
import { handleError } from '../src/http/errors'
import { createRouter } from '../src/http/router'
import { createLogger } from '../src/logger'
import { call } from './support/api'
import { json, startTestApp, type TestApp } from './support/app'

// Data exceptions wrapped by Drizzle were 500s that logged the SQL with its parameters (issue 10,
// defect 5): dates are now checked against the range PostgreSQL takes, the cause is unwrapped,
// and only the SQLSTATE and the statement's purpose are logged.

const cursor = (raw: string) => Buffer.from(raw).toString('base64url')
const ID = '019abc12-3456-7def-8901-23456789abcd'

describe('database data exceptions', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t?.stop())

  const list = (query: string) => call(t.url, 'GET', `/api/images?${query}`)

  test('dates outside 0001-01-01 .. 9999-12-31 are 400; the edges are 200', async () => {
    for (const query of [
      'uploaded_after=0000-01-01',
      'uploaded_before=0000-12-31T23:59:59Z',
      'uploaded_after=9999-12-31T23:59:59-12:00',
    ]) {
      const res = await list(query)
      expect(res.status).toBe(400)
      expect((await json(res)).message).toContain('0001-01-01 to 9999-12-31')
    }
    for (const query of [
      'uploaded_after=0001-01-01',
      'uploaded_before=9999-12-31T23:59:59.999Z',
      'uploaded_after=0001-01-01T00:00:00Z&uploaded_before=9999-12-31',
    ]) {
      expect((await list(query)).status).toBe(200)
    }
  })

  test('a forged cursor with a huge timestamp or a malformed id is 400', async () => {
    for (const raw of [
      `n.999999999999999.${ID}`,
      `o.253402300800000.${ID}`, // 10000-01-01: one past the range
      `n.1.${'-'.repeat(36)}`,
      `n.1.${'0'.repeat(36)}`,
    ]) {
      const res = await list(`cursor=${cursor(raw)}${raw.startsWith('o') ? '&sort=oldest' : ''}`)
      expect(res.status).toBe(400)
      expect((await json(res)).message).toContain('cursor')
    }
    // The last millisecond of the range is a valid position.
    expect((await list(`cursor=${cursor(`n.253402300799999.${ID}`)}`)).status).toBe(200)
  })

  test('an unpaired surrogate (which jsonb refuses) is 400 on every path, nothing stored', async () => {
    const filter = await list(`metadata=${encodeURIComponent('{"a":"\\ud800"}')}`)
    expect(filter.status).toBe(400)
    const res = await call(t.url, 'PATCH', `/api/images/${ID}`, {
      body: '{"metadata":{"a":"\\udc00"}}',
    })
    expect(res.status).toBe(400)
  })

  test('no request logged a query parameter or an unhandled error', () => {
    const text = t.rawLogs.join('\n')
    expect(text).not.toContain('Failed query')
    expect(text).not.toContain('params')
    expect(t.logs.filter((l) => l.level === 'error')).toEqual([])
  })

  test('a data exception wrapped by Drizzle answers 400 and logs SQLSTATE and purpose only', async () => {
    const secret = '0000-01-01 secret-user-value'
    const lines: Record<string, unknown>[] = []
    const logger = createLogger('info', (line) => lines.push(JSON.parse(line)))
    const app = createRouter()
    app.use(async (c, next) => {
      c.set('logger', logger)
      c.set('requestId', 'r1')
      await next()
    })
    app.get('/probe', async () => {
      // A real query whose parameter PostgreSQL refuses (22007/22008), wrapped by Drizzle.
      await t.deps.database.db.execute(sql`select ${secret}::timestamptz from images`)
      return new Response('unreachable')
    })
    app.onError(handleError)

    const res = await app.request('/probe')
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({
      error: 'Bad request',
      message: 'A value in the request cannot be stored',
    })
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({
      level: 'warn',
      msg: 'database refused a value',
      route: 'GET /probe',
      query: 'select images',
    })
    expect(String(lines[0]?.sqlstate)).toMatch(/^22[0-9A-Z]{3}$/)
    expect(JSON.stringify(lines)).not.toContain('secret-user-value')
  })

  test('any other failed query is logged without its SQL text or parameters', async () => {
    let caught: unknown
    try {
      await t.deps.database.db.execute(sql`select * from no_such_table where x = ${'private'}`)
    } catch (err) {
      caught = err
    }
    const described = describeError(caught)
    expect(described).toMatch(/^database error 42P01 in select no_such_table/)
    expect(described).not.toContain('private')
  })
})

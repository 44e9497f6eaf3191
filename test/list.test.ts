import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { images, type NewImageRow } from '../src/db/schema'
import { call, READ_KEY } from './support/api'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { makeGif, makeJpeg, makePng, withJpegComment } from './support/images'

let seq = 0
function row(overrides: Partial<NewImageRow> = {}): NewImageRow {
  const n = seq++
  const md5 = Bun.hash(`row-${n}-${Math.random()}`).toString(16).padStart(32, '0').slice(-32)
  return {
    id: Bun.randomUUIDv7(),
    md5Hash: md5,
    s3Key: `images/${md5}.jpg`,
    originalFilename: `r${n}.jpg`,
    mimetype: 'image/jpeg',
    filesize: 10,
    width: 1,
    height: 1,
    title: `row ${n}`,
    description: 'plain',
    ...overrides,
  }
}

const list = async (t: TestApp, query: string, key?: string) => {
  const res = await call(t.url, 'GET', `/api/images${query}`, { key })
  expect(res.status).toBe(200)
  return json(res) as Promise<{ data: Record<string, unknown>[]; next_cursor: string | null }>
}
const titles = (page: { data: Record<string, unknown>[] }) => page.data.map((i) => i.title)

describe.each(['local', 's3'] as const)('GET /api/images (%s storage)', (storage) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ storage })
  })
  afterAll(() => t?.stop())

  test('an empty store lists nothing', async () => {
    expect(await list(t, '')).toEqual({ data: [], next_cursor: null })
  })

  test('uploaded images are listed newest first, each with a working download_url', async () => {
    const bytes = withJpegComment(makeJpeg(8, 8, { seed: 1 }), `list-${storage}`)
    const a = await json(await upload(t.url, bytes, { metadata: { title: 'A', description: 'd' } }))
    const b = await json(
      await upload(t.url, makeGif(3, 3), { metadata: { title: 'B', description: 'd' } }),
    )
    const page = await list(t, '?limit=2', READ_KEY)
    expect(page.data.map((i) => i.id)).toEqual([b.data.id, a.data.id])
    const download = await fetch(String(page.data[1]?.download_url))
    expect(download.status).toBe(200)
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(new Uint8Array(bytes))
  })
})

describe('GET /api/images: pagination and filters', () => {
  let t: TestApp
  const insert = (rows: NewImageRow[]) => t.deps.database.db.insert(images).values(rows)
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t?.stop())

  test('250 rows paged 40 at a time with inserts between pages: no duplicates, no gaps', async () => {
    // Ten rows share each timestamp, so the id has to break ties.
    const base = Date.parse('2026-01-01T00:00:00Z')
    const original = Array.from({ length: 250 }, (_, i) =>
      row({ uploadedAt: new Date(base + Math.floor(i / 10) * 1000), metadata: { batch: 'p' } }),
    )
    await insert(original)
    for (const sort of ['newest', 'oldest'] as const) {
      const seen: string[] = []
      let cursor: string | null = null
      let pages = 0
      do {
        const query: string = `?metadata=${encodeURIComponent('{"batch":"p"}')}&limit=40&sort=${sort}${cursor ? `&cursor=${cursor}` : ''}`
        const page = await list(t, query)
        seen.push(...page.data.map((i) => String(i.id)))
        cursor = page.next_cursor
        // Concurrent writers: rows newer than everything, and rows inside the range already seen.
        await insert([
          row({ metadata: { batch: 'p' } }),
          row({ uploadedAt: new Date(base + 5000), metadata: { batch: 'other' } }),
        ])
        pages++
      } while (cursor && pages < 50)
      expect(new Set(seen).size).toBe(seen.length)
      const originalIds = original.map((r) => r.id)
      for (const id of originalIds) expect(seen).toContain(id)
      const order = seen.filter((id) => originalIds.includes(id))
      const expected = [...original]
        .sort((x, y) => {
          const byTime = (x.uploadedAt as Date).getTime() - (y.uploadedAt as Date).getTime()
          return byTime !== 0 ? byTime : x.id.localeCompare(y.id)
        })
        .map((r) => r.id)
      expect(order).toEqual(sort === 'oldest' ? expected : expected.reverse())
    }
  })

  test('limit: default 50, at most 200; 0 and 201 are refused', async () => {
    await insert(Array.from({ length: 210 }, () => row({ metadata: { batch: 'limit' } })))
    const filter = `metadata=${encodeURIComponent('{"batch":"limit"}')}`
    expect((await list(t, `?${filter}`)).data).toHaveLength(50)
    const max = await list(t, `?${filter}&limit=200`)
    expect(max.data).toHaveLength(200)
    expect(max.next_cursor).toBeString()
    const rest = await list(t, `?${filter}&limit=200&cursor=${max.next_cursor}`)
    expect(rest.data).toHaveLength(10)
    expect(rest.next_cursor).toBeNull()
    for (const bad of ['0', '201', '-1', 'ten', '1.5']) {
      const res = await call(t.url, 'GET', `/api/images?limit=${bad}`)
      expect(res.status).toBe(400)
      expect((await json(res)).message).toContain('limit')
    }
  })

  test('q finds Japanese substrings in title, description and analysis, case-insensitively', async () => {
    await insert([
      row({ title: '青い空', description: 'x', metadata: { q: 1 } }),
      row({ title: 'x', description: '今日の青い海と白い雲', metadata: { q: 1 } }),
      row({
        title: 'y',
        description: 'z',
        geminiAnalysis: '青い鳥が木にとまっている写真',
        metadata: { q: 1 },
      }),
      row({ title: '赤い花', description: 'Sunset over the SEA', metadata: { q: 1 } }),
      row({ title: '100% pure_fun', description: 'x', metadata: { q: 1 } }),
      row({ title: '1000 pureXfun', description: 'x', metadata: { q: 1 } }),
      row({ title: 'abca', description: 'xcab abd', metadata: { q: 1 } }),
    ])
    const q = async (text: string) =>
      titles(
        await list(t, `?q=${encodeURIComponent(text)}&metadata=${encodeURIComponent('{"q":1}')}`),
      )
    expect((await q('青い')).sort()).toEqual(['x', 'y', '青い空'].sort())
    expect(await q('青い空')).toEqual(['青い空'])
    expect(await q('白い雲')).toEqual(['x'])
    expect(await q('鳥')).toEqual(['y'])
    expect(await q('とまっている写真')).toEqual(['y'])
    expect(await q('sea')).toEqual(['赤い花'])
    expect(await q('SUNSET OVER')).toEqual(['赤い花'])
    expect(await q('空青')).toEqual([])
    expect(await q('い青')).toEqual([])
    // LIKE wildcards in the query are plain characters.
    expect(await q('0%')).toEqual(['100% pure_fun'])
    expect(await q('e_f')).toEqual(['100% pure_fun'])
    expect(await q('pure_f')).toEqual(['100% pure_fun'])
    // Every triple of "abcabd" is in that row, but not the text itself.
    expect(await q('abcabd')).toEqual([])
    expect(await q('xcab ab')).toEqual(['abca'])
    expect((await call(t.url, 'GET', `/api/images?q=${'x'.repeat(201)}`)).status).toBe(400)
    expect((await call(t.url, 'GET', '/api/images?q=')).status).toBe(400)
  })

  test('q sees a PATCHed title at once', async () => {
    const [r] = [row({ title: 'old words', metadata: { patch: 1 } })]
    await insert([r])
    const res = await call(t.url, 'PATCH', `/api/images/${r.id}`, { body: { title: '桜の木' } })
    expect(res.status).toBe(200)
    expect(titles(await list(t, `?q=${encodeURIComponent('桜')}`))).toEqual(['桜の木'])
    expect(titles(await list(t, '?q=old%20words'))).toEqual([])
  })

  test('tag (repeatable, all must match), mimetype, metadata containment, dates', async () => {
    const at = (iso: string) => new Date(iso)
    await insert([
      row({
        title: 'f1',
        tags: ['sea', 'blue'],
        mimetype: 'image/png',
        uploadedAt: at('2025-03-01T00:00:00Z'),
        metadata: { category: 'stress_test', n: 1 },
      }),
      row({
        title: 'f2',
        tags: ['sea'],
        mimetype: 'image/jpeg',
        uploadedAt: at('2025-03-02T00:00:00Z'),
        metadata: { category: 'stress_test', nested: { a: 1 } },
      }),
      row({
        title: 'f3',
        tags: ['blue'],
        mimetype: 'image/png',
        uploadedAt: at('2025-03-03T00:00:00Z'),
        metadata: { category: 'other' },
      }),
    ])
    const only = (page: { data: Record<string, unknown>[] }) =>
      titles(page).filter((x) => String(x).startsWith('f'))
    expect(only(await list(t, '?tag=sea&limit=200'))).toEqual(['f2', 'f1'])
    expect(only(await list(t, '?tag=sea&tag=blue&limit=200'))).toEqual(['f1'])
    expect(only(await list(t, '?tag=nothing&limit=200'))).toEqual([])
    expect(only(await list(t, '?mimetype=image/png&limit=200'))).toEqual(['f3', 'f1'])
    const meta = (m: unknown) => `?limit=200&metadata=${encodeURIComponent(JSON.stringify(m))}`
    expect(only(await list(t, meta({ category: 'stress_test' })))).toEqual(['f2', 'f1'])
    expect(only(await list(t, meta({ nested: { a: 1 } })))).toEqual(['f2'])
    expect(only(await list(t, meta({ category: 'stress_test', n: 1 })))).toEqual(['f1'])
    const dates =
      '?limit=200&uploaded_after=2025-03-02T00:00:00Z&uploaded_before=2025-03-03T00:00:00Z'
    expect(only(await list(t, dates))).toEqual(['f2'])
    expect(
      only(
        await list(
          t,
          '?limit=200&uploaded_after=2025-03-02&uploaded_before=2025-03-04&sort=oldest',
        ),
      ),
    ).toEqual(['f2', 'f3'])
  })

  test('400 for malformed filters and cursors, naming the parameter', async () => {
    const cases: [string, string][] = [
      ['metadata=not-json', 'metadata'],
      ['metadata=%5B1%5D', 'metadata'],
      ['uploaded_after=yesterday', 'uploaded_after'],
      ['uploaded_before=2025-13-01', 'uploaded_before'],
      ['sort=random', 'sort'],
      ['cursor=garbage', 'cursor'],
    ]
    for (const [query, name] of cases) {
      const res = await call(t.url, 'GET', `/api/images?${query}`)
      expect(res.status).toBe(400)
      const body = await json(res)
      expect(body.error).toBe('Bad request')
      expect(body.message).toContain(name)
    }
    // A cursor of the newest-first listing means nothing to the oldest-first one.
    await insert([row(), row()])
    const first = await list(t, '?limit=1')
    const res = await call(
      t.url,
      'GET',
      `/api/images?limit=1&sort=oldest&cursor=${first.next_cursor}`,
    )
    expect(res.status).toBe(400)
  })

  test('needs a key', async () => {
    expect((await call(t.url, 'GET', '/api/images', { key: null })).status).toBe(401)
    expect((await call(t.url, 'GET', '/api/images', { key: 'wrong' })).status).toBe(401)
  })

  test('a PNG upload is found by its sniffed mimetype', async () => {
    const res = await upload(t.url, makePng(5, 5), {
      filename: 'lies.jpg',
      type: 'image/jpeg',
      metadata: { title: 'sniffed', description: 'd' },
    })
    expect(res.status).toBe(201)
    expect(titles(await list(t, '?mimetype=image/png&q=sniffed'))).toEqual(['sniffed'])
  })
})

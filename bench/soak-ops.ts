import { bytesOf, type Entry, type Pool, type SoakSize } from './soak-pool'
import type { Op, Tally } from './soak-tally'
import { postUpload } from './upload-client'

export type SoakContext = { url: string; apiKey: string; pool: Pool; tally: Tally }

type Answer = { status: number; text: string; bytes: Uint8Array }

const TAGS = ['sea', 'sky', 'city', 'forest', 'snow']
const WORDS = ['harbour', 'sunset', 'street', 'pine', 'glacier', '青い', '猫']
const LIST_PAGES_MAX = 5

const md5 = (bytes: Uint8Array) => new Bun.CryptoHasher('md5').update(bytes).digest('hex')
const json = (text: string) => {
  try {
    return JSON.parse(text) as { data?: Record<string, unknown> } & Record<string, unknown>
  } catch {
    return {}
  }
}

/** One timed request: always recorded; `expected` decides whether its status is a failure. */
async function timed(
  ctx: SoakContext,
  op: Op,
  send: () => Promise<Answer>,
  expected: (status: number) => boolean,
): Promise<Answer> {
  const t0 = performance.now()
  let answer: Answer
  try {
    answer = await send()
  } catch (err) {
    // A transport error is status 0: the API dropped the connection or is gone.
    answer = { status: 0, text: String(err), bytes: new Uint8Array() }
  }
  ctx.tally.record(op, answer.status, performance.now() - t0)
  if (!expected(answer.status)) ctx.tally.fail(op, answer.status, answer.text)
  return answer
}

function request(ctx: SoakContext, method: string, path: string, body?: unknown) {
  return async (): Promise<Answer> => {
    const headers: Record<string, string> = { 'X-API-Key': ctx.apiKey }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    const res = await fetch(`${ctx.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const bytes = new Uint8Array(await res.arrayBuffer())
    return { status: res.status, text: new TextDecoder().decode(bytes.subarray(0, 2000)), bytes }
  }
}

function upload(
  ctx: SoakContext,
  op: Op,
  bytes: Uint8Array,
  n: number,
  expected: (s: number) => boolean,
) {
  const metadata = {
    title: `soak ${n} ${WORDS[n % WORDS.length]}`,
    description: `soak ${op}`,
    tags: ['soak', TAGS[n % TAGS.length]],
  }
  const send = async () => {
    const r = await postUpload(ctx.url, ctx.apiKey, bytes, n, metadata)
    return { status: r.status, text: r.body, bytes: new Uint8Array() }
  }
  return timed(ctx, op, send, expected)
}

/** Adds a 201's row to the pool after checking the server hashed the bytes it was sent. */
function remember(
  ctx: SoakContext,
  op: Op,
  answer: Answer,
  expected: string,
  size: SoakSize,
  n: number,
) {
  const data = json(answer.text).data
  if (data?.md5_hash !== expected || typeof data.id !== 'string') {
    ctx.tally.fail(op, answer.status, `201 without the right md5_hash: ${answer.text}`)
    return
  }
  ctx.pool.add({ id: data.id, md5: expected, size, n, deletes: 0 })
}

async function uploadNew(ctx: SoakContext) {
  const size: SoakSize = Math.random() < 0.85 ? 'small' : 'medium'
  const n = ctx.pool.nextIndex()
  const bytes = bytesOf(size, n)
  const answer = await upload(ctx, 'upload', bytes, n, (s) => s === 201)
  if (answer.status === 201) remember(ctx, 'upload', answer, md5(bytes), size, n)
}

async function uploadDuplicate(ctx: SoakContext, e: Entry) {
  // A 201 is right only when a delete of the original won the race meanwhile.
  const answer = await upload(
    ctx,
    'duplicate',
    bytesOf(e.size, e.n),
    e.n,
    (s) => s === 409 || (s === 201 && e.deletes > 0),
  )
  if (answer.status === 201 && e.deletes > 0) {
    remember(ctx, 'duplicate', answer, e.md5, e.size, e.n)
  }
}

async function list(ctx: SoakContext) {
  const params = new URLSearchParams({ limit: '50' })
  const filter = Math.random()
  if (filter < 0.2) params.set('q', WORDS[Math.floor(Math.random() * WORDS.length)] ?? 'soak')
  else if (filter < 0.4) params.set('tag', TAGS[Math.floor(Math.random() * TAGS.length)] ?? 'sea')
  const seen = new Set<string>()
  for (let page = 0; page < LIST_PAGES_MAX; page++) {
    const answer = await timed(
      ctx,
      'list',
      request(ctx, 'GET', `/api/images?${params}`),
      (s) => s === 200,
    )
    if (answer.status !== 200) return
    const body = json(answer.text) as { data?: { id: string }[]; next_cursor?: string | null }
    for (const row of body.data ?? []) {
      // Keyset paging must never repeat a row, whatever is inserted or deleted meanwhile.
      if (seen.has(row.id)) ctx.tally.fail('list', 200, `row ${row.id} repeated across pages`)
      seen.add(row.id)
    }
    if (!body.next_cursor) return
    params.set('cursor', body.next_cursor)
  }
}

async function read(ctx: SoakContext, e: Entry) {
  const gone = (s: number) => s === 404 && e.deletes > 0
  const meta = await timed(
    ctx,
    'get',
    request(ctx, 'GET', `/api/images/${e.id}`),
    (s) => s === 200 || gone(s),
  )
  if (meta.status !== 200) return
  const hash = json(meta.text).data?.md5_hash
  if (hash !== e.md5) ctx.tally.fail('get', 200, `md5_hash ${hash} instead of ${e.md5}`)
  const content = await timed(
    ctx,
    'content',
    request(ctx, 'GET', `/api/images/${e.id}/content`),
    (s) => s === 200 || gone(s),
  )
  if (content.status === 200 && md5(content.bytes) !== hash) {
    ctx.tally.fail('content', 200, `content MD5 ${md5(content.bytes)} is not md5_hash ${hash}`)
  }
}

async function remove(ctx: SoakContext, e: Entry) {
  e.deletes++
  // 404 is right only when another delete of the same image was issued and won.
  const answer = await timed(
    ctx,
    'delete',
    request(ctx, 'DELETE', `/api/images/${e.id}`),
    (s) => s === 204 || (s === 404 && e.deletes > 1),
  )
  if (answer.status === 204 || answer.status === 404) ctx.pool.remove(e)
}

async function patch(ctx: SoakContext, e: Entry) {
  const body = { title: `soak patched ${e.n} ${Date.now()}` }
  await timed(
    ctx,
    'patch',
    request(ctx, 'PATCH', `/api/images/${e.id}`, body),
    (s) => s === 200 || (s === 404 && e.deletes > 0),
  )
}

/** One random operation in the mix; those that need an image upload one while none exist. */
export async function randomOperation(ctx: SoakContext): Promise<void> {
  const r = Math.random() * 100
  if (r < 40) return uploadNew(ctx)
  if (r < 55) {
    const e = ctx.pool.pick(true)
    return e ? uploadDuplicate(ctx, e) : uploadNew(ctx)
  }
  if (r < 70) return list(ctx)
  const e = ctx.pool.pick()
  if (!e) return uploadNew(ctx)
  if (r < 85) return read(ctx, e)
  if (r < 95) return remove(ctx, e)
  return patch(ctx, e)
}

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ByteBudget } from '../src/http/byte-budget'
import { json, startTestApp, type TestApp, upload, WRITE_KEY } from './support/app'
import { makeJpeg, withJpegComment } from './support/images'
import { openRawConnection, uploadHead } from './support/raw-http'

describe('ByteBudget', () => {
  test('admits while the bytes fit, then in arrival order as bytes come back', async () => {
    const budget = new ByteBudget(100)
    const order: string[] = []
    const a = await budget.acquire(60)
    const b = await budget.acquire(40)
    const admitted = (name: string) => (release: (() => void) | null) => {
      order.push(name)
      return release
    }
    const c = budget.acquire(50).then(admitted('c'))
    const d = budget.acquire(10).then(admitted('d'))
    await Bun.sleep(5)
    expect(order).toEqual([]) // nothing is free; d also queues behind c
    a?.()
    const releaseC = await c
    const releaseD = await d
    expect(order).toEqual(['c', 'd'])
    b?.()
    releaseC?.()
    releaseD?.()
    releaseD?.() // a second release gives nothing back twice
    const all = await budget.acquire(100)
    all?.()
  })

  test('a wait that times out resolves null, gives its place up and lets the next one in', async () => {
    const budget = new ByteBudget(10)
    const held = await budget.acquire(8)
    const big = budget.acquire(5, 20)
    const small = budget.acquire(2)
    expect(await big).toBeNull()
    const releaseSmall = await small
    expect(releaseSmall).toBeFunction()
    held?.()
    releaseSmall?.()
  })

  test('a request larger than the whole budget waits for all of it, then proceeds', async () => {
    const budget = new ByteBudget(10)
    const small = await budget.acquire(3)
    let admitted = false
    const big = budget.acquire(1_000).then((r) => {
      admitted = true
      return r
    })
    await Bun.sleep(5)
    expect(admitted).toBe(false)
    small?.()
    ;(await big)?.()
    expect(admitted).toBe(true)
  })
})

describe('uploads under a tiny UPLOAD_BUFFER_BYTES', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ env: { UPLOAD_BUFFER_BYTES: '1' } })
  })
  afterAll(() => t?.stop())

  test('are taken one at a time and all succeed', async () => {
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        upload(t.url, withJpegComment(makeJpeg(16, 16), `budget-${i}`)),
      ),
    )
    expect(responses.map((r) => r.status)).toEqual(Array(12).fill(201))
    const ids = await Promise.all(responses.map(async (r) => (await json(r)).data.id))
    expect(new Set(ids).size).toBe(12)
  })

  test('one that waits 10 s for room gets 503 Server busy with Retry-After; later ones get in', async () => {
    // A stalled body holds the whole (1-byte) budget until its connection goes.
    const holder = await openRawConnection(t.url)
    holder.socket.write(uploadHead(WRITE_KEY, 1000))
    await Bun.sleep(200)
    const started = performance.now()
    const busy = await upload(t.url, withJpegComment(makeJpeg(16, 16), 'budget-busy'))
    expect(busy.status).toBe(503)
    expect(performance.now() - started).toBeGreaterThanOrEqual(9_500)
    expect(busy.headers.get('retry-after')).toBe('5')
    expect(await json(busy)).toEqual({
      error: 'Server busy',
      message: 'Too many uploads in progress; retry shortly',
    })
    holder.socket.end()
    await holder.closed
    const after = await upload(t.url, withJpegComment(makeJpeg(16, 16), 'budget-after'))
    expect(after.status).toBe(201)
  }, 60_000)
})

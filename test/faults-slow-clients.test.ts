import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestApp, type TestApp, WRITE_KEY } from './support/app'
import { openRawConnection, uploadHead } from './support/raw-http'

const IDLE_SECONDS = 2
// Generous "not hung" bound. Unfinished headers are cut by uWebSockets' own ~10 s header timeout,
// not by idleTimeout (observed ~12 s with idleTimeout 2 s), hence far above IDLE_SECONDS.
const CUT_WITHIN_MS = 30_000

describe('slow clients', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ env: { HTTP_IDLE_TIMEOUT_SECONDS: String(IDLE_SECONDS) } })
  })
  afterAll(() => t.stop())

  test('headers never finished: the connection is cut, other requests are served meanwhile', async () => {
    const slow = await openRawConnection(t.url)
    slow.socket.write(`POST /api/upload HTTP/1.1\r\nHost: x\r\nX-API-Key: ${WRITE_KEY}\r\n`)
    const started = performance.now()
    expect((await fetch(`${t.url}/health`)).status).toBe(200)
    await Promise.race([slow.closed, Bun.sleep(CUT_WITHIN_MS)])
    expect(slow.isClosed()).toBe(true)
    expect(performance.now() - started).toBeLessThan(CUT_WITHIN_MS)
  }, 60_000)

  test('a body trickled slower than the idle timeout is cut; other requests are served meanwhile', async () => {
    const slow = await openRawConnection(t.url)
    slow.socket.write(uploadHead(WRITE_KEY, 100000))
    let sent = 0
    // One byte, then silence longer than the idle timeout: the server must give up on it.
    const trickle = (async () => {
      while (!slow.isClosed() && sent < 5) {
        slow.socket.write('x')
        sent++
        await Bun.sleep((IDLE_SECONDS + 1) * 1000)
      }
    })()
    expect((await fetch(`${t.url}/health`)).status).toBe(200)
    await Promise.race([slow.closed, Bun.sleep(CUT_WITHIN_MS)])
    expect(slow.isClosed()).toBe(true)
    await trickle
    expect(sent).toBeLessThan(5)
  }, 60_000)

  test('many stalled connections at once do not block a normal request', async () => {
    const stalled = await Promise.all(Array.from({ length: 50 }, () => openRawConnection(t.url)))
    for (const s of stalled) s.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n')
    const res = await fetch(`${t.url}/health`)
    expect(res.status).toBe(200)
    await Promise.race([Promise.all(stalled.map((s) => s.closed)), Bun.sleep(CUT_WITHIN_MS)])
    expect(stalled.filter((s) => !s.isClosed())).toHaveLength(0)
  }, 60_000)
})

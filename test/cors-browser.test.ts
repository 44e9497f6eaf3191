import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Server } from 'bun'
import type { Browser, Page } from 'puppeteer-core'
import { WRITE_KEY } from './support/api'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { launchBrowser } from './support/browser'
import { makePng } from './support/images'

// What a script on another origin sees of the API, run by a real browser's CORS rules.
type CrossOriginResult = {
  patch?: number
  title?: string
  etag?: string | null
  contentRange?: string | null
  noKey?: number
  error?: string
}

// Runs in the page (another origin than the API): a keyed PATCH (preflighted), a ranged read of
// the content whose exposed headers the script reads, and a request without a key.
async function fromOtherOrigin(page: Page, api: string, id: string): Promise<CrossOriginResult> {
  return page.evaluate(
    async (base: string, imageId: string, key: string) => {
      try {
        const patched = await fetch(`${base}/api/images/${imageId}`, {
          method: 'PATCH',
          headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
          body: JSON.stringify({ title: 'from another origin' }),
        })
        const body = (await patched.json()) as { data: { title: string } }
        const content = await fetch(`${base}/api/images/${imageId}/content`, {
          headers: { 'X-API-Key': key, Range: 'bytes=0-3' },
        })
        const noKey = await fetch(`${base}/api/images`)
        return {
          patch: patched.status,
          title: body.data.title,
          etag: content.headers.get('etag'),
          contentRange: content.headers.get('content-range'),
          noKey: noKey.status,
        }
      } catch (err) {
        return { error: String(err) }
      }
    },
    api,
    id,
    WRITE_KEY,
  )
}

describe('CORS from a real browser', () => {
  let browser: Browser
  let page: Page
  let site: Server<undefined>

  beforeAll(async () => {
    browser = await launchBrowser()
    page = await browser.newPage()
    // A page on its own origin (another port), as a browser client of the API would be.
    site = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: () =>
        new Response('<!doctype html><title>client</title>', {
          headers: { 'Content-Type': 'text/html' },
        }),
    })
    await page.goto(site.url.href)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    site?.stop(true)
  })

  describe('CORS_ORIGINS unset (any origin, like the old service)', () => {
    let t: TestApp
    beforeAll(async () => {
      t = await startTestApp()
    })
    afterAll(() => t?.stop())

    test('a keyed PATCH passes its preflight; ETag and Content-Range are readable', async () => {
      const created = await upload(t.url, makePng(6, 6, { seed: 4242 }))
      const { data }: { data: { id: string; md5_hash: string } } = await json(created)
      const result = await fromOtherOrigin(page, t.url, data.id)
      expect(result).toEqual({
        patch: 200,
        title: 'from another origin',
        etag: `"${data.md5_hash}"`,
        contentRange: expect.stringMatching(/^bytes 0-3\//),
        noKey: 401,
      })
    })
  })

  describe('CORS_ORIGINS=off', () => {
    let t: TestApp
    beforeAll(async () => {
      t = await startTestApp({ env: { CORS_ORIGINS: 'off' } })
    })
    afterAll(() => t?.stop())

    test('the browser refuses the cross-origin call, and nothing changes', async () => {
      const created = await upload(t.url, makePng(6, 6, { seed: 4343 }))
      const { data }: { data: { id: string; title: string } } = await json(created)
      const result = await fromOtherOrigin(page, t.url, data.id)
      expect(result.error).toContain('TypeError')
      const after = await fetch(`${t.url}/api/images/${data.id}`, {
        headers: { 'X-API-Key': WRITE_KEY },
      })
      // The preflight failed, so the PATCH was never sent.
      expect((await json(after)).data.title).toBe(data.title)
    })
  })
})

/** @jsxImportSource hono/jsx */
// (The pragma keeps JSX on Hono when bun runs from a directory without this tsconfig.)
import type { Context } from 'hono'
import { Hono } from 'hono'
import { setCookie } from 'hono/cookie'
import type { Child } from 'hono/jsx'
import type { AuthFailures } from '../http/auth-throttle'
import type { AppEnv } from '../http/env'
import type { ApiImage, ApiPage, GalleryApi, SimilarImage } from './api-client'
import type { GalleryAssets } from './assets'
import { apiQuery, type Filters, filterQuery, parseFilters } from './filters'
import { LANG_COOKIE, MESSAGES, pickLanguage } from './i18n'
import type { Session, Sessions } from './session'
import { DetailPage } from './views/detail'
import { GridItems, GridPage } from './views/grid'
import { Layout, type PageContext } from './views/layout'
import { LoginPage } from './views/login'
import { UploadPage } from './views/upload'

export type GalleryDeps = {
  sessions: Sessions
  api: GalleryApi
  assets: GalleryAssets
  authFailures: AuthFailures
}

/** Every path the gallery serves: `/` and everything under `/gallery/` (none of it is JSON API). */
export const isGalleryPath = (path: string) => path === '/' || path.startsWith('/gallery/')

const PAGE_SIZE = 48
// "Has location" is filtered here, over API pages: at most this many are read per gallery page.
const LOCATION_SCAN_PAGES = 10
const MAX_LOGIN_BODY = 8 * 1024
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/

// Pages load only their own script and style; pictures may come from S3 (another origin).
const CSP = [
  "default-src 'self'",
  'img-src * data: blob:',
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ')

/** A same-site path to return to after sign-in or a language switch; anything else is `/`. */
const safeNext = (next: string | undefined) =>
  next?.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/'

const hasLocation = (image: ApiImage) =>
  typeof image.gps_latitude === 'number' && typeof image.gps_longitude === 'number'

/** The web gallery: server-rendered pages over the JSON API, signed in by session cookie. */
export function galleryRoutes(deps: GalleryDeps) {
  const { sessions, api, assets } = deps
  const app = new Hono<AppEnv>()

  app.use('*', async (c, next) => {
    await next()
    c.header('X-Content-Type-Options', 'nosniff')
    if (c.res.headers.get('content-type')?.startsWith('text/html')) {
      c.header('Content-Security-Policy', CSP)
      c.header('Referrer-Policy', 'same-origin')
      c.header('Cache-Control', 'no-store')
    }
  })

  const pageContext = (c: Context, session?: Session): PageContext => {
    const lang = pickLanguage(c)
    const url = new URL(c.req.url)
    return {
      lang,
      t: MESSAGES[lang],
      session,
      here: url.pathname + url.search,
      assets: assets.version,
    }
  }

  const render = (c: Context, page: PageContext, title: string, body: Child, status = 200) => {
    c.header('Vary', 'Accept-Language, Cookie')
    return c.html(
      <Layout page={page} title={title}>
        {body}
      </Layout>,
      status as 200,
    )
  }

  const message = (c: Context, page: PageContext, status: number, text: string) =>
    render(c, page, text, <p class="error">{text}</p>, status)

  const toLogin = (c: Context) => {
    const url = new URL(c.req.url)
    return c.redirect(`/gallery/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303)
  }

  /** One grid page from the API; with "has location", several API pages filtered here. */
  async function loadPage(
    c: Context,
    session: Session,
    filters: Filters,
    cursor?: string,
  ): Promise<{ images: ApiImage[]; nextCursor: string | null } | { failed: number }> {
    if (!filters.hasLocation) {
      const res = await api.get<ApiPage>(
        c,
        session,
        `/api/images?${apiQuery(filters, PAGE_SIZE, cursor)}`,
      )
      if (!res.body) return { failed: res.status }
      return { images: res.body.data, nextCursor: res.body.next_cursor }
    }
    const images: ApiImage[] = []
    let next = cursor
    for (let scanned = 0; scanned < LOCATION_SCAN_PAGES; scanned++) {
      const limit = PAGE_SIZE - images.length
      const res = await api.get<ApiPage>(
        c,
        session,
        `/api/images?${apiQuery(filters, limit, next)}`,
      )
      if (!res.body) return { failed: res.status }
      images.push(...res.body.data.filter(hasLocation))
      next = res.body.next_cursor ?? undefined
      if (!next || images.length >= PAGE_SIZE) break
    }
    return { images, nextCursor: next ?? null }
  }

  app.get('/', async (c) => {
    const session = sessions.read(c)
    if (!session) return toLogin(c)
    const page = pageContext(c, session)
    const query = new URL(c.req.url).searchParams
    const filters = parseFilters(query)
    const loaded = await loadPage(c, session, filters, query.get('cursor') ?? undefined)
    // The API's refusal (a bad cursor or filter: 400; a backing service down: 503) as a page.
    if ('failed' in loaded) return message(c, page, loaded.failed, page.t.error)
    return render(
      c,
      page,
      page.t.browse,
      <GridPage
        filters={filters}
        images={loaded.images}
        nextCursor={loaded.nextCursor}
        t={page.t}
      />,
    )
  })

  // The next grid page as bare <li> items, for infinite scroll; the link to the page after in a header.
  app.get('/gallery/grid', async (c) => {
    const session = sessions.read(c)
    if (!session) return c.text('Sign in first', 401)
    const page = pageContext(c, session)
    const query = new URL(c.req.url).searchParams
    const filters = parseFilters(query)
    const loaded = await loadPage(c, session, filters, query.get('cursor') ?? undefined)
    if ('failed' in loaded) return c.text(page.t.error, loaded.failed as 400)
    if (loaded.nextCursor) {
      c.header(
        'X-Next-Fragment',
        `/gallery/grid${filterQuery(filters, { cursor: loaded.nextCursor })}`,
      )
      c.header('X-Next-Page', `/${filterQuery(filters, { cursor: loaded.nextCursor })}`)
    }
    c.header('Cache-Control', 'no-store')
    return c.html(<GridItems images={loaded.images} t={page.t} />)
  })

  app.get('/gallery/images/:id', async (c) => {
    const session = sessions.read(c)
    if (!session) return toLogin(c)
    const page = pageContext(c, session)
    const id = c.req.param('id')
    if (!UUID.test(id)) return message(c, page, 404, page.t.notFound)
    const [found, similar] = await Promise.all([
      api.get<{ data: ApiImage }>(c, session, `/api/images/${id}`),
      // Shown only when the deployment has the similar-images endpoint and it answers.
      api.get<unknown>(c, session, `/api/images/${id}/similar`),
    ])
    if (found.status === 404) return message(c, page, 404, page.t.notFound)
    if (!found.body) return message(c, page, found.status, page.t.error)
    const image = found.body.data
    return render(
      c,
      page,
      image.title || page.t.untitled,
      <DetailPage
        image={image}
        similar={similarList(similar.body)}
        writable={!session.principal.readOnly}
        t={page.t}
        lang={page.lang}
      />,
    )
  })

  app.get('/gallery/upload', (c) => {
    const session = sessions.read(c)
    if (!session) return toLogin(c)
    const page = pageContext(c, session)
    if (session.principal.readOnly) return message(c, page, 403, page.t.readOnly)
    return render(c, page, page.t.upload, <UploadPage t={page.t} />)
  })

  app.get('/gallery/login', (c) => {
    if (sessions.read(c)) return c.redirect(safeNext(c.req.query('next')), 303)
    const page = pageContext(c)
    return render(
      c,
      page,
      page.t.signIn,
      <LoginPage t={page.t} next={safeNext(c.req.query('next'))} />,
    )
  })

  app.post('/gallery/login', async (c) => {
    const page = pageContext(c)
    // A sign-in posted from another site would sign the victim into the attacker's key.
    if (!sessions.sameOrigin(c)) return message(c, page, 403, 'Forbidden')
    const who = c.var.clientIp
    const length = Number(c.req.header('content-length') ?? Number.NaN)
    if (!(length <= MAX_LOGIN_BODY)) return message(c, page, 413, 'Request too large')
    const body = await c.req.parseBody()
    const key = typeof body.key === 'string' ? body.key : ''
    const next = safeNext(typeof body.next === 'string' ? body.next : undefined)
    if (!key || !sessions.signIn(c, key)) {
      // Like a wrong X-API-Key: only wrong keys are throttled; a right key always signs in.
      if (deps.authFailures.retryAfter(who) > 0) {
        const form = <LoginPage t={page.t} next={next} error={page.t.tooManyAttempts} />
        return render(c, page, page.t.signIn, form, 429)
      }
      deps.authFailures.recordFailure(who)
      const form = <LoginPage t={page.t} next={next} error={page.t.wrongKey} />
      return render(c, page, page.t.signIn, form, 401)
    }
    return c.redirect(next, 303)
  })

  app.post('/gallery/logout', async (c) => {
    const session = sessions.read(c)
    const page = pageContext(c, session)
    if (!sessions.sameOrigin(c)) return message(c, page, 403, 'Forbidden')
    if (session) {
      const body = await c.req.parseBody()
      const token = typeof body._csrf === 'string' ? body._csrf : undefined
      if (!sessions.csrfMatches(session, token)) return message(c, page, 403, 'Forbidden')
    }
    sessions.signOut(c)
    return c.redirect('/gallery/login', 303)
  })

  // The language switch: a preference only, so a plain link (GET) may set it.
  app.get('/gallery/lang', (c) => {
    const to = c.req.query('to')
    if (to === 'en' || to === 'ja') {
      setCookie(c, LANG_COOKIE, to, { path: '/', sameSite: 'Lax', maxAge: 365 * 24 * 3600 })
    }
    return c.redirect(safeNext(c.req.query('next')), 303)
  })

  app.get('/gallery/assets/:version/:name', (c) => {
    const asset = assets.get(c.req.param('name'))
    if (!asset) return c.text('Not found', 404)
    const current = c.req.param('version') === assets.version
    c.header('Content-Type', asset.type)
    c.header('Cache-Control', current ? 'public, max-age=31536000, immutable' : 'no-cache')
    return c.body(asset.body as Uint8Array<ArrayBuffer>)
  })

  return app
}

/** The similar-images answer as a list, whatever envelope it comes in; undefined when absent. */
function similarList(body: unknown): SimilarImage[] | undefined {
  const list = Array.isArray(body)
    ? body
    : typeof body === 'object' && body !== null
      ? ((body as { data?: unknown; similar?: unknown }).data ??
        (body as { similar?: unknown }).similar)
      : undefined
  if (!Array.isArray(list)) return undefined
  // Entries may be images, or `{ image, distance }` pairs.
  const items = list.map((item) =>
    typeof item === 'object' && item !== null && typeof item.image === 'object' ? item.image : item,
  )
  return items.filter(
    (item): item is SimilarImage =>
      typeof item === 'object' && item !== null && typeof item.id === 'string',
  )
}

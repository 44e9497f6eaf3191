/** @jsxImportSource hono/jsx */
// (The pragma keeps JSX on Hono when bun runs from a directory without this tsconfig.)
import { html } from 'hono/html'
import type { Child } from 'hono/jsx'
import { LANGUAGES, type Language, type Messages } from '../i18n'
import type { Session } from '../session'

export type PageContext = {
  lang: Language
  t: Messages
  /** Absent on the sign-in page. */
  session?: Session
  /** Path and query of this page, where the language switch and sign-in return to. */
  here: string
  /** Version tag of the static assets, so they can be cached for good. */
  assets: string
}

const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', ja: '日本語' }

/** The page frame: header with navigation, language switch and sign-out; main content. */
export function Layout(props: { page: PageContext; title: string; children: Child }) {
  const { page } = props
  const { t, session } = page
  const writable = session && !session.principal.readOnly
  const body = (
    <html lang={page.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · ${t.appName}`}</title>
        {/* No favicon request (a 404 would show as a console error). */}
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={`/gallery/assets/${page.assets}/gallery.css`} />
        {session && <meta name="csrf-token" content={session.csrf} />}
        <script type="module" src={`/gallery/assets/${page.assets}/gallery.js`} />
      </head>
      <body>
        <a class="skip" href="#main">
          {t.skipToContent}
        </a>
        <header class="top">
          <a class="brand" href="/">
            {t.appName}
          </a>
          {session && (
            <nav aria-label={t.appName}>
              <a href="/">{t.browse}</a>
              {writable && <a href="/gallery/upload">{t.upload}</a>}
            </nav>
          )}
          <div class="top-end">
            <nav aria-label={t.language} class="lang">
              {LANGUAGES.map((lang) =>
                lang === page.lang ? (
                  <span aria-current="true" lang={lang}>
                    {LANGUAGE_NAMES[lang]}
                  </span>
                ) : (
                  <a
                    href={`/gallery/lang?to=${lang}&next=${encodeURIComponent(page.here)}`}
                    lang={lang}
                    hreflang={lang}
                  >
                    {LANGUAGE_NAMES[lang]}
                  </a>
                ),
              )}
            </nav>
            {session && (
              <form method="post" action="/gallery/logout" class="signout">
                <span class="who">
                  {t.signedInAs} <strong>{session.principal.name}</strong>
                  {session.principal.readOnly && ` (${t.readOnly})`}
                </span>
                <input type="hidden" name="_csrf" value={session.csrf} />
                <button type="submit">{t.signOut}</button>
              </form>
            )}
          </div>
        </header>
        <main id="main" tabindex={-1}>
          {props.children}
        </main>
      </body>
    </html>
  )
  return html`<!doctype html>${body}`
}

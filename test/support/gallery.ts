/** A signed-in gallery session over plain HTTP: its cookie and the CSRF token its pages carry. */
export type GallerySession = { cookie: string; csrf: string }

/** Signs in through the gallery's form (with a same-origin `Origin`, as a browser sends it). */
export async function signIn(base: string, key: string): Promise<GallerySession> {
  const res = await fetch(`${base}/gallery/login`, {
    method: 'POST',
    headers: { Origin: base, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ key, next: '/' }),
    redirect: 'manual',
  })
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`)
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  const page = await (await fetch(`${base}/`, { headers: { cookie } })).text()
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(page)?.[1]
  if (!csrf) throw new Error('no CSRF token on the page')
  return { cookie, csrf }
}

/** A request as the gallery's page script makes it: session cookie, CSRF header, same origin. */
export function sessionCall(
  base: string,
  session: GallerySession,
  method: string,
  path: string,
  init: { body?: RequestInit['body']; headers?: Record<string, string> } = {},
) {
  return fetch(`${base}${path}`, {
    method,
    body: init.body,
    redirect: 'manual',
    headers: {
      cookie: session.cookie,
      'X-CSRF-Token': session.csrf,
      Origin: base,
      ...init.headers,
    },
  })
}

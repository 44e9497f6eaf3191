import type { Context } from 'hono'
import type { AppEnv } from './env'
import { errorBody } from './errors'

type Route = { path: string; method: string }

// Hono path pattern to a regular expression: `:id` and `:id{re}` for one segment, `*` for any.
function patternToRegExp(path: string) {
  const source = path
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*'
      const param = /^:[A-Za-z0-9_]+(?:\{(.+)\})?\??$/.exec(segment)
      if (param) return param[1] ?? '[^/]+'
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    })
    .join('/')
  return new RegExp(`^${source}$`)
}

/**
 * The fallback handler: 405 with `Allow` when the path exists under other methods, else 404.
 * `routes` is read per request so routes added after the handler is installed still count.
 */
export function notFoundOrMethodNotAllowed(routes: () => Route[]) {
  return (c: Context<AppEnv>) => {
    const allowed = new Set<string>()
    for (const r of routes()) {
      // Middleware registers as ALL; it says nothing about which methods the path serves.
      if (r.method === 'ALL' || r.path === '*' || r.path === '/*') continue
      if (patternToRegExp(r.path).test(c.req.path)) allowed.add(r.method)
    }
    if (allowed.has('GET')) allowed.add('HEAD')
    if (allowed.size === 0) {
      return c.json(errorBody('Not found', `No route for ${c.req.method} ${c.req.path}`), 404)
    }
    const allow = [...allowed].sort().join(', ')
    c.header('Allow', allow)
    return c.json(
      errorBody(
        'Method not allowed',
        `${c.req.method} is not allowed on ${c.req.path}; use ${allow}`,
      ),
      405,
    )
  }
}

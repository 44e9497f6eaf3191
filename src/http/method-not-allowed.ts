import type { Context, Hono } from 'hono'
import { methodNotAllowed as honoMethodNotAllowed } from 'hono/method-not-allowed'
import type { AppEnv } from './env'
import { errorBody } from './errors'

/** 405 with `Allow` (sorted) and the API's JSON error when the path exists under other methods. */
export const methodNotAllowed = (app: Hono<AppEnv>) =>
  honoMethodNotAllowed({
    app,
    onMethodNotAllowed: (c, methods) => {
      const allow = [...methods].sort().join(', ')
      return c.json(
        errorBody(
          'Method not allowed',
          `${c.req.method} is not allowed on ${c.req.path}; use ${allow}`,
        ),
        405,
        { Allow: allow },
      )
    },
  })

/** The fallback handler: no route has this path under any method. */
export const notFound = (c: Context<AppEnv>) =>
  c.json(errorBody('Not found', `No route for ${c.req.method} ${c.req.path}`), 404)

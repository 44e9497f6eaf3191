import { OpenAPIHono, type RouteConfig, type RouteHandler } from '@hono/zod-openapi'
import type { AppEnv } from './env'
import { ApiError } from './errors'

/** Security requirement of every keyed operation in the OpenAPI document. */
export const apiKeySecurity = [{ ApiKey: [] }]

/** The handler of a route definition (`createRoute`), typed by its params, body and responses. */
export type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>

/**
 * A router whose zod-validated routes answer invalid input with the API's 400 JSON error,
 * naming each offending field.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (result.success) return
      const issues = result.error.issues.map((i) => ({
        path: i.path.join('.') || result.target,
        message: i.message,
      }))
      throw new ApiError(
        400,
        'Bad request',
        issues.map((i) => `${i.path}: ${i.message}`).join('; '),
        issues,
      )
    },
  })
}

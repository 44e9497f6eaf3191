import { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from './env'
import { errorBody } from './errors'

/** Security requirement of every keyed operation in the OpenAPI document. */
export const apiKeySecurity = [{ ApiKey: [] }]

/**
 * A router whose zod-validated routes answer invalid input with the API's 400 JSON error,
 * naming each offending field.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return
      const issues = result.error.issues.map((i) => ({
        path: i.path.join('.') || result.target,
        message: i.message,
      }))
      return c.json(
        errorBody('Bad request', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues),
        400,
      )
    },
  })
}

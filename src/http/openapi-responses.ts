import { z } from '@hono/zod-openapi'

export const errorSchema = z
  .object({ error: z.string(), message: z.string(), details: z.unknown().optional() })
  .openapi('Error')

const descriptions = {
  400: 'Malformed request (the message names the field)',
  401: 'Missing or invalid X-API-Key',
  403: 'Read-only key on a write, or an invalid download signature',
  404: 'No such image',
  409: 'Conflict',
  413: 'Over a size limit',
  415: 'Not an accepted image format',
  416: 'Range not satisfiable',
  422: 'Broken image or dimensions over the limits',
  429: 'Too many invalid API keys from this client; retry after Retry-After seconds',
  503: 'Database or storage unavailable',
} as const

type ErrorStatus = keyof typeof descriptions

/** The OpenAPI entry of a JSON response with this schema. */
export const jsonContent = <T>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})

/** The OpenAPI entry of one JSON error body. */
export const errorResponse = (description: string) => jsonContent(errorSchema, description)

/** OpenAPI entries for the JSON error bodies a route can answer with. */
export function errorResponses(...statuses: ErrorStatus[]) {
  // A keyed route (401) can also get 429: the wrong-key throttle runs before it (http/auth-throttle).
  const all: ErrorStatus[] = statuses.includes(401) ? [...statuses, 429] : statuses
  return Object.fromEntries(all.map((status) => [status, errorResponse(descriptions[status])]))
}

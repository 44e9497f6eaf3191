import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { carriesQuery, databaseError, describeError, isDataException } from '../db/errors'
import { hasErrorCode } from '../error-chain'
import { StorageMisconfigured, StorageUnavailable } from '../storage/errors'
import type { AppEnv } from './env'

/**
 * An error the client caused or should know about; rendered as `{error, message, details?}` with
 * `headers` (e.g. Retry-After) on the response.
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly error: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message)
  }
}

export const badRequest = (message: string, details?: unknown) =>
  new ApiError(400, 'Bad request', message, details)
export const notFound = (message = 'The requested resource does not exist') =>
  new ApiError(404, 'Not found', message)

// Error codes of postgres.js and the OS that mean "the database is down"; storage drivers say so
// themselves with StorageUnavailable.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
])

export function isUnavailable(err: unknown): boolean {
  return err instanceof StorageUnavailable || hasErrorCode(err, UNAVAILABLE_CODES)
}

export function errorBody(error: string, message: string, details?: unknown) {
  return details === undefined ? { error, message } : { error, message, details }
}

export function handleError(err: Error, c: Context<AppEnv>) {
  if (err instanceof ApiError) {
    return c.json(errorBody(err.error, err.message, err.details), err.status, err.headers)
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode
    if (status === 415) {
      // Raised by the JSON body validator when the Content-Type is not JSON.
      return c.json(
        errorBody('Unsupported media type', 'Send the request body as application/json'),
        415,
      )
    }
    return c.json(errorBody(err.message || 'Error', err.message || 'Request failed'), status)
  }
  // Logged by SQLSTATE and the statement's purpose: messages, SQL and parameters carry user data.
  const route = `${c.req.method} ${c.req.routePath}`
  if (isDataException(err)) {
    // Input that got past validation but that PostgreSQL refuses (SQLSTATE class 22).
    c.var.logger?.warn('database refused a value', {
      request_id: c.var.requestId,
      route,
      ...databaseError(err),
    })
    return c.json(errorBody('Bad request', 'A value in the request cannot be stored'), 400)
  }
  if (err instanceof StorageMisconfigured) {
    c.var.logger?.error('storage refused the request', {
      request_id: c.var.requestId,
      route,
      code: err.code,
    })
    return c.json(errorBody('Service unavailable', err.message), 503)
  }
  if (isUnavailable(err)) {
    c.var.logger?.warn('dependency unavailable', {
      request_id: c.var.requestId,
      route,
      err: describeError(err),
    })
    return c.json(
      errorBody('Service unavailable', 'A backing service is unavailable; retry later'),
      503,
    )
  }
  c.var.logger?.error('unhandled error', {
    request_id: c.var.requestId,
    route,
    // The stack of a failed query starts with its SQL and parameters: never logged.
    err: carriesQuery(err) ? describeError(err) : (err.stack ?? String(err)),
  })
  return c.json(errorBody('Internal server error', 'An unexpected error occurred'), 500)
}

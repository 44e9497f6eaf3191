import { createMiddleware } from 'hono/factory'
import { payloadTooLarge, readBodyLimited } from './body'
import type { AppEnv } from './env'
import { badRequest } from './errors'
import { textNestingDepth } from './json-depth'

export type JsonBodyLimits = { maxBytes: number; maxDepth: number }

// The media types Hono's JSON validator reads: application/json and application/*+json.
const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i
const utf8 = new TextDecoder()

/**
 * Every JSON request body, read before any route sees it: 413 as soon as it passes `maxBytes`
 * (whatever Content-Length says), 400 when it is not JSON or nests deeper than `maxDepth`. The
 * text is handed on through Hono's body cache, so validators read this copy, not the stream.
 */
export const jsonBodyLimit = (limits: JsonBodyLimits) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const mediaType = (c.req.header('content-type') ?? '').split(';')[0]?.trim() ?? ''
    if (!JSON_MEDIA_TYPE.test(mediaType) || c.req.method === 'GET' || c.req.method === 'HEAD') {
      return next()
    }
    const tooLarge = () =>
      payloadTooLarge(`Request body exceeds the limit of ${limits.maxBytes} bytes`)
    const text = utf8.decode(await readBodyLimited(c.req.raw, limits.maxBytes, tooLarge))
    if (textNestingDepth(text, limits.maxDepth) > limits.maxDepth) {
      throw badRequest(`The JSON body nests deeper than ${limits.maxDepth} levels`)
    }
    try {
      JSON.parse(text)
    } catch {
      throw badRequest('The request body is not valid JSON')
    }
    // Hono keeps promises in its body cache (typed as the values): `c.req.json()` reads this one.
    ;(c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text)
    await next()
  })

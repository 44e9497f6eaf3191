import { ApiError } from './errors'

export const payloadTooLarge = (message: string) => new ApiError(413, 'Payload too large', message)

/** `5MB`, `1.5MB`: the old service's way of stating its limit. */
const megabytes = (bytes: number) => `${Number((bytes / (1024 * 1024)).toPrecision(3))}MB`

/** The old service's 413 body, with the configured limit in MB and in bytes. */
export const fileTooLarge = (maxBytes: number) =>
  new ApiError(
    413,
    'File too large',
    `Maximum file size is ${megabytes(maxBytes)} (${maxBytes} bytes)`,
  )

/**
 * Reads the request body into memory, refusing (`tooLarge()`, a 413) as soon as it passes `limit`
 * bytes, whether or not the client sent a Content-Length: at most `limit` bytes are ever buffered.
 */
export async function readBodyLimited(request: Request, limit: number, tooLarge: () => ApiError) {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  if (declared > limit) throw tooLarge()
  if (!request.body) return new Uint8Array(0)
  // With a Content-Length, Bun reads exactly that many bytes: one allocation, no chunk copies.
  if (Number.isSafeInteger(declared) && declared >= 0) {
    const body = await request.bytes()
    if (body.byteLength > limit) throw tooLarge()
    return body
  }

  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let received = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    received += value.byteLength
    if (received > limit) {
      await reader.cancel().catch(() => {})
      throw tooLarge()
    }
    chunks.push(value)
  }
  if (chunks.length === 1 && chunks[0]) return chunks[0]
  const body = new Uint8Array(received)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return body
}

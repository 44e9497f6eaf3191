import { ApiError } from './errors'

export const payloadTooLarge = (message: string) => new ApiError(413, 'Payload too large', message)

/**
 * Reads the request body into memory, refusing (413) as soon as it passes `limit` bytes, whether
 * or not the client sent a Content-Length: at most `limit` bytes are ever buffered.
 */
export async function readBodyLimited(request: Request, limit: number, what: string) {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  if (declared > limit) throw payloadTooLarge(`${what} exceeds the limit of ${limit} bytes`)
  if (!request.body) return new Uint8Array(0)
  // With a Content-Length, Bun reads exactly that many bytes: one allocation, no chunk copies.
  if (Number.isSafeInteger(declared) && declared >= 0) {
    const body = await request.bytes()
    if (body.byteLength > limit)
      throw payloadTooLarge(`${what} exceeds the limit of ${limit} bytes`)
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
      throw payloadTooLarge(`${what} exceeds the limit of ${limit} bytes`)
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

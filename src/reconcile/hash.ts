/** MD5 (hex) of a stream, read chunk by chunk so an object is never held whole. */
export async function hashStream(stream: ReadableStream<Uint8Array>) {
  const hasher = new Bun.CryptoHasher('md5')
  for await (const chunk of stream) hasher.update(chunk)
  return hasher.digest('hex')
}

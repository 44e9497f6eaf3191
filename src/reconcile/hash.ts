/** MD5 and length of a stream, read chunk by chunk so an object is never held whole. */
export async function hashStream(stream: ReadableStream<Uint8Array>) {
  const hasher = new Bun.CryptoHasher('md5')
  let size = 0
  for await (const chunk of stream) {
    hasher.update(chunk)
    size += chunk.byteLength
  }
  return { md5: hasher.digest('hex'), size }
}

/** Posts one image the way the old service's clients do: multipart `image_file` + `metadata`. */
export async function postUpload(
  url: string,
  apiKey: string,
  bytes: Uint8Array,
  index: number,
  metadata: Record<string, unknown> = {
    title: `bench ${index}`,
    description: 'benchmark upload',
    tags: ['bench'],
  },
) {
  const form = new FormData()
  form.append('image_file', new Blob([bytes], { type: 'image/jpeg' }), `bench-${index}.jpg`)
  form.append('metadata', JSON.stringify(metadata))
  const res = await fetch(`${url}/api/upload`, {
    method: 'POST',
    headers: { 'X-API-Key': apiKey },
    body: form,
  })
  // Drain the body so the keep-alive connection is reused and the latency includes the response.
  const body = await res.text()
  return { status: res.status, bytes: bytes.byteLength, body }
}

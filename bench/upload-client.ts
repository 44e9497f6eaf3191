/** Posts one image the way the old service's clients do: multipart `image_file` + `metadata`. */
export async function postUpload(url: string, apiKey: string, bytes: Uint8Array, index: number) {
  const form = new FormData()
  form.append('image_file', new Blob([bytes], { type: 'image/jpeg' }), `bench-${index}.jpg`)
  form.append(
    'metadata',
    JSON.stringify({ title: `bench ${index}`, description: 'benchmark upload', tags: ['bench'] }),
  )
  const res = await fetch(`${url}/api/upload`, {
    method: 'POST',
    headers: { 'X-API-Key': apiKey },
    body: form,
  })
  // Drain the body so the keep-alive connection is reused and the latency includes the response.
  await res.arrayBuffer()
  return { status: res.status, bytes: bytes.byteLength }
}

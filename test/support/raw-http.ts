/**
 * Sends raw bytes over TCP and returns what the server answered (until it closes the connection
 * or `waitMs` passes): for requests `fetch` will not send, such as a lying Content-Length.
 */
export async function rawRequest(url: string, payload: string | Uint8Array, waitMs = 2000) {
  const { hostname, port } = new URL(url)
  const chunks: Uint8Array[] = []
  let done: () => void = () => {}
  const closed = new Promise<void>((resolve) => {
    done = resolve
  })
  const socket = await Bun.connect({
    hostname,
    port: Number(port),
    socket: {
      data: (_, data) => {
        chunks.push(new Uint8Array(data))
      },
      close: () => done(),
      error: () => done(),
    },
  })
  socket.write(payload)
  await Promise.race([closed, Bun.sleep(waitMs)])
  socket.end()
  const text = Buffer.concat(chunks).toString('utf8')
  const [head = '', body = ''] = text.split('\r\n\r\n', 2)
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)
  return { status, head, body, text }
}

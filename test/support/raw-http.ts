/** A raw TCP connection to `url`'s host: what the server sent, and when it closed the connection. */
export async function openRawConnection(url: string) {
  const { hostname, port } = new URL(url)
  const chunks: Uint8Array[] = []
  let isClosed = false
  let onClose: () => void = () => {}
  const closed = new Promise<void>((resolve) => {
    onClose = () => {
      isClosed = true
      resolve()
    }
  })
  const socket = await Bun.connect({
    hostname,
    port: Number(port),
    socket: {
      data: (_, data) => {
        chunks.push(new Uint8Array(data))
      },
      close: () => onClose(),
      error: () => onClose(),
    },
  })
  return {
    socket,
    closed,
    isClosed: () => isClosed,
    received: () => Buffer.concat(chunks).toString('utf8'),
  }
}

/**
 * Sends raw bytes over TCP and returns what the server answered (until it closes the connection
 * or `waitMs` passes): for requests `fetch` will not send, such as a lying Content-Length.
 */
export async function rawRequest(url: string, payload: string | Uint8Array, waitMs = 2000) {
  const connection = await openRawConnection(url)
  connection.socket.write(payload)
  await Promise.race([connection.closed, Bun.sleep(waitMs)])
  connection.socket.end()
  const text = connection.received()
  const [head = '', body = ''] = text.split('\r\n\r\n', 2)
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)
  return { status, head, body, text }
}

/** The head of a multipart upload declaring `contentLength` bytes, and the first boundary line. */
export const uploadHead = (key: string, contentLength: number) =>
  'POST /api/upload HTTP/1.1\r\nHost: x\r\n' +
  `X-API-Key: ${key}\r\nContent-Type: multipart/form-data; boundary=b\r\n` +
  `Content-Length: ${contentLength}\r\n\r\n--b\r\n`

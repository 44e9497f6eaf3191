import type { Socket } from 'bun'
import { flush, send } from './socket-backlog'

type Side = { peer?: Socket<Side>; backlog: Uint8Array[]; closed: boolean }

export type TcpProxy = {
  port: number
  /**
   * Closes every live connection. New ones are then refused by the OS (`refuse`), or accepted and
   * closed at once (`drop`), as a TCP forwarder with a dead backend does (docker-proxy, a balancer).
   */
  cut(mode?: 'refuse' | 'drop'): void
  restore(): void
  stop(): void
}

/** A loopback TCP proxy to `target`, to cut a dependency's connections at will in tests. */
export function startTcpProxy(target: { hostname: string; port: number }): TcpProxy {
  const live = new Set<Socket<Side>>()
  let refusing = false
  const closeBoth = (socket: Socket<Side>) => {
    socket.data.closed = true
    live.delete(socket)
    const peer = socket.data.peer
    if (peer && !peer.data.closed) {
      peer.data.closed = true
      peer.end()
    }
  }
  const listen = (port: number) =>
    Bun.listen<Side>({
      hostname: '127.0.0.1',
      port,
      socket: {
        open(client) {
          client.data = { backlog: [], closed: false }
          if (refusing) {
            client.end()
            return
          }
          live.add(client)
          // Bytes from the client wait in `backlog` until the upstream connection is open.
          Bun.connect<Side>({
            ...target,
            data: { peer: client, backlog: [], closed: false },
            socket: {
              open(upstream) {
                live.add(upstream)
                if (client.data.closed) {
                  upstream.end()
                  return
                }
                client.data.peer = upstream
                // Queued client bytes were stored on the client side's backlog list; move them.
                const queued = client.data.backlog
                client.data.backlog = []
                for (const chunk of queued) send(upstream, chunk)
              },
              data: (_upstream, data) => send(client, new Uint8Array(data)),
              drain: flush,
              close: closeBoth,
              error: closeBoth,
            },
          }).catch(() => closeBoth(client))
        },
        data(client, data) {
          const upstream = client.data.peer
          if (upstream) send(upstream, new Uint8Array(data))
          else client.data.backlog.push(new Uint8Array(data))
        },
        drain: flush,
        close: closeBoth,
        error: closeBoth,
      },
    })
  let listener: ReturnType<typeof listen> | undefined = listen(0)
  const port = listener.port
  return {
    port,
    cut(mode = 'refuse') {
      refusing = true
      if (mode === 'refuse') {
        listener?.stop(true)
        listener = undefined
      }
      for (const socket of [...live]) {
        socket.data.closed = true
        socket.end()
      }
      live.clear()
    },
    restore() {
      refusing = false
      listener ??= listen(port)
    },
    stop() {
      this.cut()
    },
  }
}

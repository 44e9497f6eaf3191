import type { Socket } from 'bun'
import { flush, send } from './socket-backlog'

/**
 * How late answers are handed to the client. A client that writes several statements without
 * waiting (a pipeline) has written them all long before the first answer reaches it, even when
 * its writes are split across event-loop turns; a client that waits cannot write before.
 */
const ANSWER_DELAY_MS = 5

type Client = {
  upstream?: Socket<Upstream>
  /** Client bytes waiting for the upstream connection to open. */
  early: Uint8Array[]
  /** Bytes for the client that it has not taken yet. */
  backlog: Uint8Array[]
  /** An answer was handed to the client since its last bytes: its next bytes start a turn. */
  answered: boolean
  turns: number
  closed: boolean
}
type Upstream = { client: Socket<Client>; backlog: Uint8Array[]; closed: boolean }
export type TurnCountingProxy = {
  port: number
  /** Client→server turns so far, summed over every connection: the round trips. */
  turns(): number
  /** Connections accepted so far. */
  connections(): number
  stop(): void
}

/**
 * A loopback TCP proxy to `target` that counts client→server turns per connection: a turn starts
 * when the client sends bytes after it was handed an answer (or for the first time). Statements
 * written together without waiting for an answer are one turn, however the bytes are split.
 */
export function startTurnCountingProxy(target: {
  hostname: string
  port: number
}): TurnCountingProxy {
  const clients = new Set<Socket<Client>>()
  let accepted = 0
  const closeClient = (client: Socket<Client>) => {
    if (client.data.closed) return
    client.data.closed = true
    client.end()
    const upstream = client.data.upstream
    if (upstream && !upstream.data.closed) {
      upstream.data.closed = true
      upstream.end()
    }
  }
  const listener = Bun.listen<Client>({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      open(client) {
        client.data = { early: [], backlog: [], answered: true, turns: 0, closed: false }
        clients.add(client)
        accepted++
        Bun.connect<Upstream>({
          ...target,
          data: { client, backlog: [], closed: false },
          socket: {
            open(upstream) {
              if (client.data.closed) {
                upstream.end()
                return
              }
              client.data.upstream = upstream
              for (const chunk of client.data.early) send(upstream, chunk)
              client.data.early = []
            },
            data(_upstream, data) {
              const bytes = new Uint8Array(data)
              // Timers of equal delay fire in order: the answer's bytes keep their order.
              setTimeout(() => {
                if (client.data.closed) return
                client.data.answered = true
                send(client, bytes)
              }, ANSWER_DELAY_MS)
            },
            drain: flush,
            close: (upstream) => {
              upstream.data.closed = true
              setTimeout(() => closeClient(client), ANSWER_DELAY_MS)
            },
            error: (upstream) => {
              upstream.data.closed = true
              closeClient(client)
            },
          },
        }).catch(() => closeClient(client))
      },
      data(client, data) {
        if (client.data.answered) {
          client.data.turns++
          client.data.answered = false
        }
        const bytes = new Uint8Array(data)
        const upstream = client.data.upstream
        if (upstream) send(upstream, bytes)
        else client.data.early.push(bytes)
      },
      drain: flush,
      close: closeClient,
      error: closeClient,
    },
  })
  return {
    port: listener.port,
    turns: () => [...clients].reduce((sum, c) => sum + c.data.turns, 0),
    connections: () => accepted,
    stop() {
      listener.stop(true)
      for (const client of clients) closeClient(client)
    },
  }
}

import type { Socket } from 'bun'

/** A socket's bytes that the kernel has not taken yet, written out again on `drain`. */
export type Backlogged = { backlog: Uint8Array[] }

/** Writes `data` after whatever is still waiting; what the socket does not take waits too. */
export function send<T extends Backlogged>(socket: Socket<T>, data: Uint8Array) {
  const side = socket.data
  if (side.backlog.length > 0) {
    side.backlog.push(data)
    return
  }
  const written = socket.write(data)
  if (written < data.byteLength) side.backlog.push(data.subarray(written))
}

/** On `drain`: writes what waits, in order, until the socket takes no more. */
export function flush<T extends Backlogged>(socket: Socket<T>) {
  const side = socket.data
  while (side.backlog.length > 0) {
    const next = side.backlog[0] as Uint8Array
    const written = socket.write(next)
    if (written < next.byteLength) {
      side.backlog[0] = next.subarray(written)
      return
    }
    side.backlog.shift()
  }
}

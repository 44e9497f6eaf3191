import type { Page } from './repository'

type Position = NonNullable<Page['after']> & { sort: Page['sort'] }

/** An opaque page cursor: the keyset position of the last row shown, and the sort it belongs to. */
export function encodeCursor(position: Position): string {
  const raw = `${position.sort === 'newest' ? 'n' : 'o'}.${position.at.getTime()}.${position.id}`
  return Buffer.from(raw).toString('base64url')
}

/** The position in a cursor, or null when it was not made by `encodeCursor`. */
export function decodeCursor(cursor: string): Position | null {
  const m = /^([no])\.(\d{1,15})\.([0-9a-f-]{36})$/.exec(
    Buffer.from(cursor, 'base64url').toString(),
  )
  if (!m?.[1] || !m[2] || !m[3]) return null
  return { sort: m[1] === 'n' ? 'newest' : 'oldest', at: new Date(Number(m[2])), id: m[3] }
}

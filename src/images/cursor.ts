import type { Page } from './repository'
import { inDateRange } from './schemas'

type Position = NonNullable<Page['after']> & { sort: Page['sort'] }

/** An opaque page cursor: the keyset position of the last row shown, and the sort it belongs to. */
export function encodeCursor(position: Position): string {
  const raw = `${position.sort === 'newest' ? 'n' : 'o'}.${position.at.getTime()}.${position.id}`
  return Buffer.from(raw).toString('base64url')
}

/** The position in a cursor, or null when it was not made by `encodeCursor`. */
export function decodeCursor(cursor: string): Position | null {
  const m =
    /^([no])\.(\d{1,15})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(
      Buffer.from(cursor, 'base64url').toString(),
    )
  if (!m?.[1] || !m[2] || !m[3]) return null
  const at = new Date(Number(m[2]))
  // A forged position outside the dates PostgreSQL takes would fail the query, not the cursor.
  if (!inDateRange(at)) return null
  return { sort: m[1] === 'n' ? 'newest' : 'oldest', at, id: m[3] }
}

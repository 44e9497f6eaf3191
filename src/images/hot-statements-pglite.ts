import type { PGlite, QueryOptions } from '@electric-sql/pglite'
import type { RawRow, Statement } from '../db/image-statements'
import type { FinishTransaction, HotStatements } from './hot-statements'

// As drizzle-orm/pglite reads rows: dates, timestamps and intervals as text, for Drizzle's column
// mappers to convert (TIMESTAMP, TIMESTAMPTZ, INTERVAL, DATE and their arrays, numeric[]).
const TEXT = (value: string) => value
const OPTIONS: QueryOptions = {
  rowMode: 'object',
  parsers: Object.fromEntries(
    [1114, 1184, 1186, 1082, 1231, 1115, 1185, 1187, 1182].map((oid) => [oid, TEXT]),
  ),
}

/** PGlite: in-process, so there is no round trip to save; the same statements, one at a time. */
export class PgliteHotStatements implements HotStatements {
  constructor(private readonly pglite: PGlite) {}

  async run({ text, params }: Statement): Promise<RawRow[]> {
    return (await this.pglite.query<RawRow>(text, params, OPTIONS)).rows
  }

  transaction<T>(
    opening: Statement[],
    fn: (rows: RawRow[][], finish: FinishTransaction) => Promise<T>,
  ): Promise<T> {
    return this.pglite.transaction(async (tx) => {
      const rows: RawRow[][] = []
      for (const s of opening) rows.push((await tx.query<RawRow>(s.text, s.params, OPTIONS)).rows)
      let finished = false
      const finish: FinishTransaction = async (last) => {
        if (finished) throw new Error('the transaction is over')
        finished = true
        const { rows } = await tx.query<RawRow>(last.text, last.params, OPTIONS)
        // Committed here, as on PostgreSQL, not when `fn` returns; the COMMIT or ROLLBACK PGlite
        // sends then finds no transaction (a warning), and nothing else ran meanwhile: `tx` holds
        // PGlite's transaction lock until `fn` returns.
        await tx.exec('commit')
        return rows
      }
      return fn(rows, finish)
    })
  }
}

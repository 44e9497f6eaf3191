import type { ParameterOrJSON, Sql } from 'postgres'
import type { RawRow, Statement } from '../db/image-statements'
import type { FinishTransaction, HotStatements } from './hot-statements'

type Params = ParameterOrJSON<never>[]

// `unsafe` does not prepare by default: each call would then be Parse + Describe, a round trip of
// its own, before Bind + Execute. Prepared, a statement is described once per connection.
const PREPARED = { prepare: true }

/**
 * postgres.js: prepared statements, and BEGIN, COMMIT and ROLLBACK as simple queries. Queries
 * issued on a connection before any is awaited go out in one write, and PostgreSQL answers them
 * in order: a pipeline, one round trip. Each carries its own Sync, so inside the transaction a
 * failed statement aborts it and the COMMIT written after it answers ROLLBACK.
 */
export class PostgresHotStatements implements HotStatements {
  constructor(private readonly sql: Sql) {}

  run({ text, params }: Statement): Promise<RawRow[]> {
    return this.sql.unsafe<RawRow[]>(text, params as Params, PREPARED)
  }

  async transaction<T>(
    opening: Statement[],
    fn: (rows: RawRow[][], finish: FinishTransaction) => Promise<T>,
  ): Promise<T> {
    const connection = await this.sql.reserve()
    let finished = false
    const finish: FinishTransaction = async (last) => {
      if (finished) throw new Error('the transaction is over')
      finished = true
      // A failed statement turns the COMMIT into a ROLLBACK: the transaction ends either way.
      const [rows] = await Promise.all([
        connection.unsafe<RawRow[]>(last.text, last.params as Params, PREPARED),
        connection.unsafe('commit'),
      ])
      return rows
    }
    try {
      const [, ...rows] = await Promise.all([
        connection.unsafe<RawRow[]>('begin'),
        ...opening.map((s) => connection.unsafe<RawRow[]>(s.text, s.params as Params, PREPARED)),
      ])
      const result = await fn(rows, finish)
      if (!finished) {
        finished = true
        await connection.unsafe('commit')
      }
      return result
    } catch (err) {
      // Also after `finish` (harmless outside a transaction): the connection goes back idle. After
      // a cut, the patched postgres.js refuses it unsent (patches/postgres@3.4.9.patch).
      await connection.unsafe('rollback').catch(() => {})
      throw err
    } finally {
      // A no-op once the connection closed: the pool has it back already.
      connection.release()
    }
  }
}

import type { PGlite } from '@electric-sql/pglite'
import type { Sql } from 'postgres'
import type { Db } from '../db/client'
import type { RawRow, Statement } from '../db/image-statements'
import { PgliteHotStatements } from './hot-statements-pglite'
import { PostgresHotStatements } from './hot-statements-postgres'

/** Writes the transaction's last statement together with its COMMIT; its rows. */
export type FinishTransaction = (last: Statement) => Promise<RawRow[]>

/**
 * The upload path's statements (src/db/image-statements.ts) run on the driver itself, past
 * Drizzle's query builder. On PostgreSQL, statements written together are answered in one round
 * trip; PGlite is in-process and runs them one after the other.
 */
export interface HotStatements {
  /** One statement on its own (autocommit). */
  run(statement: Statement): Promise<RawRow[]>
  /**
   * BEGIN and `opening` written together, then `fn` with their rows and `finish`, which writes its
   * statement together with the COMMIT: two round trips on PostgreSQL. Rolled back when `fn`
   * throws; committed when it returns without calling `finish`.
   */
  transaction<T>(
    opening: Statement[],
    fn: (rows: RawRow[][], finish: FinishTransaction) => Promise<T>,
  ): Promise<T>
}

/** The hot statements on `db`'s own client (postgres.js or PGlite, as src/db/client.ts opens it). */
export function hotStatementsFor(db: Db): HotStatements {
  const client = (db as unknown as { $client: unknown }).$client
  if (typeof client === 'function' && 'reserve' in client) {
    return new PostgresHotStatements(client as Sql)
  }
  if (client && typeof client === 'object' && 'transaction' in client && 'query' in client) {
    return new PgliteHotStatements(client as PGlite)
  }
  throw new Error('hot statements: the database client is neither postgres.js nor PGlite')
}

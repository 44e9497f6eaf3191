// Database errors carry the failing value in their message, and Drizzle's wrapper adds the SQL and
// every parameter (user data): only the fields below may be logged or compared.

/** What may be said about a database error: its SQLSTATE and the names involved, never values. */
export type DatabaseErrorInfo = {
  sqlstate: string
  /** What the statement was for, e.g. `select images` or `update images` (no values). */
  query?: string
  table?: string
  column?: string
  constraint?: string
  routine?: string
}

const SQLSTATE = /^[0-9A-Z]{5}$/

type Chain = { code?: unknown; cause?: unknown; query?: unknown; [k: string]: unknown }

const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined)

/** `select images`, `insert images`, ...: the statement's verb and first table, from its text. */
export function statementPurpose(query: string): string | undefined {
  const verb = /^\s*(?:with\b[\s\S]*?\)\s*)?(select|insert|update|delete)\b/i.exec(query)?.[1]
  if (!verb) return /^\s*(\w+)/.exec(query)?.[1]?.toLowerCase()
  const table = /\b(?:from|into|update)\s+"?([a-z_][\w]*)"?/i.exec(query)?.[1]
  return table ? `${verb.toLowerCase()} ${table}` : verb.toLowerCase()
}

/** The SQLSTATE error in `err` or its causes (Drizzle wraps the driver's error), or undefined. */
export function databaseError(err: unknown): DatabaseErrorInfo | undefined {
  let query: string | undefined
  for (let e = err as Chain | undefined, i = 0; e && typeof e === 'object' && i < 5; i++) {
    query ??= text(e.query)
    if (typeof e.code === 'string' && SQLSTATE.test(e.code)) {
      return {
        sqlstate: e.code,
        query: query && statementPurpose(query),
        table: text(e.table ?? e.table_name),
        column: text(e.column ?? e.column_name),
        constraint: text(e.constraint ?? e.constraint_name),
        routine: text(e.routine),
      }
    }
    e = e.cause as Chain | undefined
  }
  return undefined
}

/** Class 22: a value PostgreSQL refuses (out of range, bad syntax for its type, ...). */
export const isDataException = (err: unknown) =>
  databaseError(err)?.sqlstate.startsWith('22') ?? false

/** True when `err` or a cause carries SQL (Drizzle's wrapper, driver errors): never log its text. */
export function carriesQuery(err: unknown): boolean {
  for (let e = err as Chain | undefined, i = 0; e && typeof e === 'object' && i < 5; i++) {
    if (e.query !== undefined || e.params !== undefined || e.parameters !== undefined) return true
    e = e.cause as Chain | undefined
  }
  return false
}

/**
 * A description of any error that is safe to log: a database error by its SQLSTATE and purpose
 * (its message and Drizzle's wrapper hold parameter values), a failed query by the code of its
 * cause, anything else by name and message.
 */
export function describeError(err: unknown): string {
  const db = databaseError(err)
  if (db) {
    const names = [db.table, db.column, db.constraint].filter(Boolean).join('.')
    return `database error ${db.sqlstate}${db.query ? ` in ${db.query}` : ''}${names ? ` (${names})` : ''}`
  }
  let query: string | undefined
  let inner = err as Chain
  for (let e = err as Chain | undefined, i = 0; e && typeof e === 'object' && i < 5; i++) {
    query ??= text(e.query)
    inner = e
    e = e.cause as Chain | undefined
  }
  if (query !== undefined) {
    const name = inner instanceof Error ? inner.name : 'Error'
    const code = text(inner.code)
    const purpose = statementPurpose(query)
    return `${name}${code ? ` ${code}` : ''}${purpose ? ` in ${purpose}` : ''}`
  }
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}

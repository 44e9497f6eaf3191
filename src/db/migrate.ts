import { desc, sql } from 'drizzle-orm'
import { readMigrationFiles } from 'drizzle-orm/migrator'
import { bigint, pgSchema, serial, text } from 'drizzle-orm/pg-core'
import type { Logger } from '../logger'
import { adoptLegacyTable, finishAdoption, legacyTablePresent } from './adopt'
import type { Db } from './client'
import { backfillSearchText } from './search-backfill'

const MIGRATIONS_FOLDER = new URL('../../drizzle', import.meta.url).pathname
// Arbitrary constant: serialises migrations across replicas starting at the same time.
const MIGRATION_LOCK_KEY = 727_001

const journal = pgSchema('drizzle').table('__drizzle_migrations', {
  id: serial('id').primaryKey(),
  hash: text('hash').notNull(),
  createdAt: bigint('created_at', { mode: 'number' }),
})

/** Names the schema the migrations lead to: it changes when a migration is added or edited. */
export function schemaKey(): string {
  const hashes = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).map((m) => m.hash)
  return new Bun.CryptoHasher('sha256').update(hashes.join('\n')).digest('hex').slice(0, 12)
}

/**
 * Applies the drizzle-kit migrations in `drizzle/`, bookkeeping in drizzle's own
 * `drizzle.__drizzle_migrations` table (so `drizzle-kit migrate` agrees), all in one transaction
 * behind an advisory lock so that concurrent starts are safe. A database of the old service
 * (its `images` table, no journal) is adopted first: brought to the shape of the first migration,
 * which is then recorded as applied. Then fills derived columns of rows that older code wrote
 * (`backfillSearchText`). Returns the number of migrations applied.
 */
export async function migrate(db: Db, logger?: Logger): Promise<number> {
  const migrations = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER })
  const applied = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`)
    await tx.execute(sql`create schema if not exists drizzle`)
    await tx.execute(sql`create table if not exists drizzle.__drizzle_migrations (
      id serial primary key, hash text not null, created_at bigint)`)
    const [latest] = await tx
      .select({ createdAt: journal.createdAt })
      .from(journal)
      .orderBy(desc(journal.createdAt))
      .limit(1)
    let last = latest?.createdAt ?? 0
    let applied = 0

    const adopting = await legacyTablePresent(tx, latest !== undefined)
    const [initial] = migrations
    if (adopting && initial) {
      logger?.info('adopting the old service database', { table: 'images' })
      const adopted = await adoptLegacyTable(tx)
      await tx.insert(journal).values({ hash: initial.hash, createdAt: initial.folderMillis })
      last = initial.folderMillis
      applied++
      logger?.info('old service table brought to the initial schema', {
        rows: adopted.rows,
        dropped_indexes: adopted.droppedIndexes,
      })
    }

    for (const m of migrations) {
      if (m.folderMillis <= last) continue
      for (const statement of m.sql) {
        if (statement.trim()) await tx.execute(sql.raw(statement))
      }
      await tx.insert(journal).values({ hash: m.hash, createdAt: m.folderMillis })
      applied++
    }
    if (adopting) {
      await finishAdoption(tx)
      logger?.info('adopted the old service database; run `bun run backfill` for dimensions', {
        migrations_applied: applied,
      })
    }
    return applied
  })
  await backfillSearchText(db)
  return applied
}

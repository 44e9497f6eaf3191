import { sql } from 'drizzle-orm'
import type { Db } from './client'

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

/** The old service's database cannot be adopted as it is; the message says why. */
export class AdoptionError extends Error {}

// The columns of the old Flask service's `images` table, as its init script created them.
const OLD_COLUMNS = [
  'id',
  's3_key',
  'md5_hash',
  'original_filename',
  'mimetype',
  'filesize',
  'uploaded_at',
  'title',
  'description',
  'gemini_analysis',
  'created_at',
  'updated_at',
]

/**
 * The old table brought to the shape migration 0000 creates, so the later migrations apply to it
 * as to any database. Width and height stay nullable: the old service never stored them.
 */
const TO_INITIAL_SHAPE = [
  // The old trigger would bump updated_at on every write, the analysis worker's included.
  'DROP TRIGGER IF EXISTS update_images_updated_at ON images',
  'ALTER TABLE images ALTER COLUMN id DROP DEFAULT',
  `ALTER TABLE images
    ALTER COLUMN md5_hash TYPE char(32) USING lower(md5_hash),
    ALTER COLUMN s3_key TYPE text,
    ALTER COLUMN original_filename TYPE text,
    ALTER COLUMN mimetype TYPE text,
    ALTER COLUMN title TYPE text,
    ADD COLUMN width integer,
    ADD COLUMN height integer,
    ADD COLUMN tags text[] DEFAULT '{}'::text[] NOT NULL,
    ADD COLUMN metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    ADD COLUMN analysis_status text DEFAULT 'none' NOT NULL,
    ADD COLUMN analysis_model text,
    ADD COLUMN analysis_prompt_hash text,
    ADD COLUMN analysis_attempts integer DEFAULT 0 NOT NULL,
    ADD COLUMN analysis_error text,
    ADD COLUMN analysis_next_attempt_at timestamp with time zone,
    ADD COLUMN analyzed_at timestamp with time zone,
    ADD COLUMN uploaded_by text,
    ADD CONSTRAINT images_analysis_status_check
      CHECK (analysis_status in ('none', 'pending', 'done', 'failed', 'skipped'))`,
  // The old service required a description at upload; a NULL one can only come from outside it.
  `UPDATE images SET description = coalesce(description, ''),
    analysis_status = CASE WHEN gemini_analysis IS NULL THEN 'none' ELSE 'done' END`,
  'ALTER TABLE images ALTER COLUMN description SET NOT NULL',
  'CREATE INDEX images_uploaded_at_id_idx ON images USING btree (uploaded_at, id)',
  `CREATE INDEX images_analysis_due_idx ON images USING btree (analysis_next_attempt_at)
    WHERE analysis_status = 'pending'`,
]

type Row = Record<string, unknown>
const rowsOf = (result: unknown): Row[] =>
  Array.isArray(result) ? result : ((result as { rows?: Row[] }).rows ?? [])

/** What the database holds before migrations run: nothing, the old service's table, or ours. */
export async function legacyTablePresent(tx: Tx, journalHasEntries: boolean): Promise<boolean> {
  if (journalHasEntries) return false
  const columns = rowsOf(
    await tx.execute(sql`select column_name from information_schema.columns
      where table_schema = current_schema() and table_name = 'images'`),
  ).map((r) => String(r.column_name))
  if (columns.length === 0) return false
  const missing = OLD_COLUMNS.filter((c) => !columns.includes(c))
  if (missing.length > 0 || columns.includes('analysis_status')) {
    throw new AdoptionError(
      `table "images" exists but is neither the old service's nor this API's (columns: ${columns.join(', ')}); ` +
        'migrate it by hand or point DATABASE_URL at another database',
    )
  }
  return true
}

/**
 * Brings the old service's `images` table to the shape of migration 0000, inside the caller's
 * transaction (which holds the migration lock). Returns the number of rows adopted.
 */
export async function adoptLegacyTable(
  tx: Tx,
): Promise<{ rows: number; droppedIndexes: string[] }> {
  const [count] = rowsOf(await tx.execute(sql`select count(*)::int as n from images`))
  // The old single-column indexes on md5_hash (duplicated by its unique constraint), uploaded_at
  // and title (this API indexes neither alone); indexes anyone else added are left alone.
  const droppedIndexes = rowsOf(
    await tx.execute(sql`select i.relname as name from pg_index x
      join pg_class i on i.oid = x.indexrelid
      join pg_attribute a on a.attrelid = x.indrelid and a.attnum = x.indkey[0]
      where x.indrelid = 'images'::regclass and x.indnatts = 1
        and not x.indisprimary and not x.indisunique
        and a.attname in ('md5_hash', 'uploaded_at', 'title')`),
  ).map((r) => String(r.name))
  for (const name of droppedIndexes) {
    await tx.execute(sql.raw(`DROP INDEX "${name.replaceAll('"', '""')}"`))
  }
  for (const statement of TO_INITIAL_SHAPE) await tx.execute(sql.raw(statement))
  // The trigger function goes too, unless something else still uses it.
  const [users] = rowsOf(
    await tx.execute(sql`select count(t.oid)::int as n from pg_proc p
      left join pg_trigger t on t.tgfoid = p.oid
      where p.proname = 'update_updated_at_column' and p.pronamespace = current_schema()::regnamespace`),
  )
  if (Number(users?.n ?? 1) === 0) {
    await tx.execute(sql.raw('DROP FUNCTION IF EXISTS update_updated_at_column()'))
  }
  return { rows: Number(count?.n ?? 0), droppedIndexes }
}

/**
 * After every migration has run: the old rows' MIME types were what the client declared, never
 * sniffed, so they move to `declared_mimetype` until `bun run backfill` reads the bytes.
 */
export async function finishAdoption(tx: Tx) {
  await tx.execute(
    sql.raw('UPDATE images SET declared_mimetype = mimetype, mimetype = NULL WHERE width IS NULL'),
  )
}

import postgres from 'postgres'
import type { Storage } from '../../src/storage/storage'
import type { TestDatabase } from './database'

/** The old Flask service's init script: its table, indexes, and updated_at trigger. */
export const LEGACY_SCHEMA = `
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE TABLE IF NOT EXISTS images (
  id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
  s3_key VARCHAR(500) NOT NULL UNIQUE,
  md5_hash VARCHAR(32) NOT NULL UNIQUE,
  original_filename VARCHAR(255) NOT NULL,
  mimetype VARCHAR(100) NOT NULL,
  filesize BIGINT NOT NULL,
  uploaded_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  title VARCHAR(255) NOT NULL,
  description TEXT,
  gemini_analysis TEXT,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS idx_images_md5_hash ON images(md5_hash);
CREATE INDEX IF NOT EXISTS idx_images_uploaded_at ON images(uploaded_at);
CREATE INDEX IF NOT EXISTS idx_images_title ON images(title);
CREATE OR REPLACE FUNCTION update_updated_at_column()
RETURNS TRIGGER AS $$
BEGIN
  NEW.updated_at = NOW();
  RETURN NEW;
END;
$$ language 'plpgsql';
CREATE TRIGGER update_images_updated_at BEFORE UPDATE ON images
  FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
`

export type LegacyImage = {
  bytes: Uint8Array
  md5: string
  /** `images/<md5>_<secure_filename(name)>`, as the old service wrote it. */
  key: string
  filename: string
  declaredType: string
  title: string
  description: string | null
  analysis: string | null
  uploadedAt: string
}

async function withConnection<T>(
  target: TestDatabase,
  fn: (run: {
    exec(text: string): Promise<void>
    query(text: string, params: unknown[]): Promise<Record<string, unknown>[]>
  }) => Promise<T>,
) {
  if (target.options.kind === 'postgres') {
    const sql = postgres(target.options.url, { max: 1, onnotice: () => {} })
    try {
      return await fn({
        exec: async (text) => {
          await sql.unsafe(text).simple()
        },
        query: async (text, params) => [...(await sql.unsafe(text, params as never[]))],
      })
    } finally {
      await sql.end()
    }
  }
  // PGlite gets the uuid-ossp extension the old schema needs.
  const { PGlite } = await import('@electric-sql/pglite')
  const { uuid_ossp } = await import('@electric-sql/pglite/contrib/uuid_ossp')
  const db = await PGlite.create(target.options.dir, { extensions: { uuid_ossp } })
  try {
    return await fn({
      exec: async (text) => {
        await db.exec(text)
      },
      query: async (text, params) => (await db.query<Record<string, unknown>>(text, params)).rows,
    })
  } finally {
    await db.close()
  }
}

/** Runs SQL statements (`;`-separated) on the test database over a connection of its own. */
export const runSql = (target: TestDatabase, text: string) =>
  withConnection(target, (c) => c.exec(text))

/** One query's rows, over a connection of its own. */
export const querySql = (target: TestDatabase, text: string, params: unknown[] = []) =>
  withConnection(target, (c) => c.query(text, params))

/** The old service's database and bucket with `images` in them, as it left them. */
export async function seedLegacy(target: TestDatabase, storage: Storage, images: LegacyImage[]) {
  await runSql(target, LEGACY_SCHEMA)
  for (const image of images) {
    await storage.put(image.key, image.bytes, image.declaredType)
    await querySql(
      target,
      `INSERT INTO images (s3_key, md5_hash, original_filename, mimetype, filesize, uploaded_at,
         title, description, gemini_analysis, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $6, $6)`,
      [
        image.key,
        image.md5,
        image.filename,
        image.declaredType,
        image.bytes.byteLength,
        image.uploadedAt,
        image.title,
        image.description,
        image.analysis,
      ],
    )
  }
}

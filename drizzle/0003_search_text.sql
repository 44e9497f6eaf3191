-- Search in one normal form on both sides: the application writes each searchable field in
-- search form (Unicode NFKC + case folding, computed in JavaScript, see src/db/search-text.ts)
-- and normalises queries the same way; PostgreSQL's lower() depends on the locale and misses
-- Turkish İ, Greek final sigma, full-width forms. Existing rows fall back to lower() until the
-- backfill (run after migrations, src/db/search-backfill.ts) fills their search columns.
ALTER TABLE "images" ADD COLUMN "search_title" text;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "search_description" text;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "search_analysis" text;--> statement-breakpoint
-- The generated expression changes, so the column (and its index) is dropped and added again.
DROP INDEX IF EXISTS "images_search_grams_idx";--> statement-breakpoint
ALTER TABLE "images" DROP COLUMN "search_grams";--> statement-breakpoint
-- Linear in the text: the old PL/pgSQL loop appended to an array (a copy per character) and
-- called substr() by character position (a scan from the start in UTF-8): quadratic twice over.
-- Now the characters are split once, each paired with the next two by a window, and the input
-- is taken as given (already in search form).
CREATE OR REPLACE FUNCTION image_search_grams(VARIADIC fields text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT g), '{}')
  FROM unnest(fields) AS f(field)
  CROSS JOIN LATERAL (
    SELECT c, lead(c) OVER w AS c2, lead(c, 2) OVER w AS c3
    FROM unnest(string_to_array(f.field, NULL)) WITH ORDINALITY AS t(c, i)
    WINDOW w AS (ORDER BY i)
  ) AS chars
  CROSS JOIN LATERAL (VALUES (c), (c || c2), (c || c2 || c3)) AS grams(g)
  WHERE g IS NOT NULL
$$;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "search_grams" text[] GENERATED ALWAYS AS (image_search_grams(coalesce(search_title, lower(title)), coalesce(search_description, lower(description)), coalesce(search_analysis, lower(gemini_analysis)))) STORED NOT NULL;--> statement-breakpoint
CREATE INDEX "images_search_grams_idx" ON "images" USING gin ("search_grams") WITH (fastupdate=true,gin_pending_list_limit=64);

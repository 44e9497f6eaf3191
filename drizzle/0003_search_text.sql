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
-- Linear in the text: the old loop appended with `||` and called substr() by character position
-- (a scan from the start of the string in UTF-8): quadratic twice over. Now the characters are
-- split once, read by subscript and appended with array_append, which PL/pgSQL does in place on
-- its expanded arrays. The input is taken as given: it is already in search form.
CREATE OR REPLACE FUNCTION image_search_grams(VARIADIC fields text[]) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  field text;
  chars text[];
  grams text[] := '{}';
  a text;
  b text;
  c text;
BEGIN
  FOREACH field IN ARRAY fields LOOP
    CONTINUE WHEN field IS NULL;
    chars := string_to_array(field, NULL);
    b := NULL;
    c := NULL;
    FOR i IN 1..coalesce(array_length(chars, 1), 0) LOOP
      a := b;
      b := c;
      c := chars[i];
      grams := array_append(grams, c);
      IF b IS NOT NULL THEN grams := array_append(grams, b || c); END IF;
      IF a IS NOT NULL THEN grams := array_append(grams, a || b || c); END IF;
    END LOOP;
  END LOOP;
  RETURN array(SELECT DISTINCT g FROM unnest(grams) AS g);
END
$$;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "search_grams" text[] GENERATED ALWAYS AS (image_search_grams(coalesce(search_title, lower(title)), coalesce(search_description, lower(description)), coalesce(search_analysis, lower(gemini_analysis)))) STORED NOT NULL;--> statement-breakpoint
CREATE INDEX "images_search_grams_idx" ON "images" USING gin ("search_grams") WITH (fastupdate=true,gin_pending_list_limit=64);

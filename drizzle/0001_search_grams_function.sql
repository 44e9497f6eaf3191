-- The n-grams `images.search_grams` is generated from: every run of one, two and three characters
-- of every field, lower-cased. Containment finds substrings in any script, down to one character
-- (exactly up to three, with a LIKE recheck beyond); pg_trgm needs three characters and a locale
-- that knows the script.
CREATE OR REPLACE FUNCTION image_search_grams(VARIADIC fields text[]) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  field text;
  n int;
  grams text[] := '{}';
BEGIN
  FOREACH field IN ARRAY fields LOOP
    field := lower(coalesce(field, ''));
    n := length(field);
    FOR i IN 1..n LOOP
      grams := grams || substr(field, i, 1) || substr(field, i, 2) || substr(field, i, 3);
    END LOOP;
  END LOOP;
  RETURN array(SELECT DISTINCT g FROM unnest(grams) AS g WHERE g <> '');
END
$$;

ALTER TABLE "images" ALTER COLUMN "analysis_next_attempt_at" SET DATA TYPE timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "images" ALTER COLUMN "analyzed_at" SET DATA TYPE timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "images" ALTER COLUMN "uploaded_at" SET DATA TYPE timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "images" ALTER COLUMN "uploaded_at" SET DEFAULT now();--> statement-breakpoint
ALTER TABLE "images" ALTER COLUMN "updated_at" SET DATA TYPE timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "images" ALTER COLUMN "updated_at" SET DEFAULT now();--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "search_grams" text[] GENERATED ALWAYS AS (image_search_grams(title, description, gemini_analysis)) STORED NOT NULL;--> statement-breakpoint
CREATE INDEX "images_mimetype_uploaded_at_id_idx" ON "images" USING btree ("mimetype","uploaded_at","id");--> statement-breakpoint
CREATE INDEX "images_tags_idx" ON "images" USING gin ("tags") WITH (fastupdate=true,gin_pending_list_limit=64);--> statement-breakpoint
CREATE INDEX "images_metadata_idx" ON "images" USING gin ("metadata" jsonb_path_ops) WITH (fastupdate=true,gin_pending_list_limit=64);--> statement-breakpoint
CREATE INDEX "images_search_grams_idx" ON "images" USING gin ("search_grams") WITH (fastupdate=true,gin_pending_list_limit=64);
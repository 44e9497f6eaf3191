CREATE TABLE "images" (
	"id" uuid PRIMARY KEY NOT NULL,
	"md5_hash" char(32) NOT NULL,
	"s3_key" text NOT NULL,
	"original_filename" text NOT NULL,
	"mimetype" text NOT NULL,
	"filesize" bigint NOT NULL,
	"width" integer NOT NULL,
	"height" integer NOT NULL,
	"title" text NOT NULL,
	"description" text NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"gemini_analysis" text,
	"analysis_status" text DEFAULT 'none' NOT NULL,
	"analysis_model" text,
	"analysis_prompt_hash" text,
	"analysis_attempts" integer DEFAULT 0 NOT NULL,
	"analysis_error" text,
	"analysis_next_attempt_at" timestamp with time zone,
	"analyzed_at" timestamp with time zone,
	"uploaded_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"uploaded_by" text,
	CONSTRAINT "images_md5_hash_key" UNIQUE("md5_hash"),
	CONSTRAINT "images_s3_key_key" UNIQUE("s3_key"),
	CONSTRAINT "images_analysis_status_check" CHECK ("images"."analysis_status" in ('none', 'pending', 'done', 'failed', 'skipped'))
);
--> statement-breakpoint
CREATE INDEX "images_uploaded_at_id_idx" ON "images" USING btree ("uploaded_at","id");--> statement-breakpoint
CREATE INDEX "images_analysis_due_idx" ON "images" USING btree ("analysis_next_attempt_at") WHERE "images"."analysis_status" = 'pending';
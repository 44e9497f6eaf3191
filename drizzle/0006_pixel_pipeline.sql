ALTER TABLE "images" ADD COLUMN "client_md5" char(32);--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "thumbhash" text;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "taken_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "camera_make" text;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "camera_model" text;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "lens" text;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "orientation" smallint;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "gps_latitude" double precision;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "gps_longitude" double precision;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "gps_altitude" double precision;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "exif" jsonb;--> statement-breakpoint
CREATE INDEX "images_client_md5_idx" ON "images" USING btree ("client_md5") WHERE "images"."client_md5" is not null;--> statement-breakpoint
CREATE INDEX "images_taken_at_idx" ON "images" USING btree ("taken_at") WHERE "images"."taken_at" is not null;--> statement-breakpoint
CREATE INDEX "images_camera_make_lower_idx" ON "images" USING btree (lower("camera_make"));--> statement-breakpoint
CREATE INDEX "images_camera_model_lower_idx" ON "images" USING btree (lower("camera_model"));--> statement-breakpoint
CREATE INDEX "images_gps_uploaded_at_id_idx" ON "images" USING btree ("uploaded_at","id") WHERE "images"."gps_latitude" is not null;--> statement-breakpoint
CREATE INDEX "images_gps_lat_lon_idx" ON "images" USING btree ("gps_latitude","gps_longitude") WHERE "images"."gps_latitude" is not null;--> statement-breakpoint
ALTER TABLE "images" ADD CONSTRAINT "images_exif_size_check" CHECK (octet_length("images"."exif"::text) <= 16384);--> statement-breakpoint
ALTER TABLE "images" ADD CONSTRAINT "images_orientation_check" CHECK ("images"."orientation" between 1 and 8);
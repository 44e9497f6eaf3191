ALTER TABLE "images" ADD COLUMN "perceptual_hash" bigint;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "perceptual_hash_low_information" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "hash_band0" integer GENERATED ALWAYS AS (((perceptual_hash >> 48) & 65535)::integer) STORED;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "hash_band1" integer GENERATED ALWAYS AS (((perceptual_hash >> 32) & 65535)::integer) STORED;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "hash_band2" integer GENERATED ALWAYS AS (((perceptual_hash >> 16) & 65535)::integer) STORED;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "hash_band3" integer GENERATED ALWAYS AS (((perceptual_hash >> 0) & 65535)::integer) STORED;--> statement-breakpoint
CREATE INDEX "images_hash_band0_idx" ON "images" USING btree ("hash_band0","perceptual_hash","id") WHERE not "images"."perceptual_hash_low_information";--> statement-breakpoint
CREATE INDEX "images_hash_band1_idx" ON "images" USING btree ("hash_band1","perceptual_hash","id") WHERE not "images"."perceptual_hash_low_information";--> statement-breakpoint
CREATE INDEX "images_hash_band2_idx" ON "images" USING btree ("hash_band2","perceptual_hash","id") WHERE not "images"."perceptual_hash_low_information";--> statement-breakpoint
CREATE INDEX "images_hash_band3_idx" ON "images" USING btree ("hash_band3","perceptual_hash","id") WHERE not "images"."perceptual_hash_low_information";
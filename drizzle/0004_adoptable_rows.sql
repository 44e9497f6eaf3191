-- Rows adopted from the old service have no sniffed type or dimensions until `bun run backfill`;
-- what its clients declared is kept in declared_mimetype.
ALTER TABLE "images" ALTER COLUMN "mimetype" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "images" ALTER COLUMN "width" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "images" ALTER COLUMN "height" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "declared_mimetype" text;
ALTER TABLE "federation_destinations" ADD COLUMN "reset_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "federation_destinations" ADD COLUMN "reset_stream_ordering" bigint;
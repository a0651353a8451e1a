CREATE TABLE "federation_destinations" (
	"destination" text PRIMARY KEY NOT NULL,
	"retry_last_ts" bigint NOT NULL,
	"retry_interval" bigint NOT NULL,
	"failure_ts" bigint,
	"last_successful_stream_ordering" bigint,
	"state" text NOT NULL,
	"first_seen_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "federation_snapshots" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"taken_at" timestamp with time zone NOT NULL,
	"run_id" bigint,
	"healthy" integer NOT NULL,
	"backing_off" integer NOT NULL,
	"retry_due" integer NOT NULL,
	"dead" integer NOT NULL,
	"total" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "federation_state_changes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"destination" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"from_state" text,
	"to_state" text NOT NULL,
	"retry_interval" bigint,
	"failure_ts" bigint,
	"source" text DEFAULT 'collector' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "self_check_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone NOT NULL,
	"server_name" text NOT NULL,
	"status" text NOT NULL,
	"trigger" text NOT NULL,
	"results" jsonb NOT NULL
);
--> statement-breakpoint
CREATE INDEX "federation_snapshots_taken_idx" ON "federation_snapshots" USING btree ("taken_at");--> statement-breakpoint
CREATE INDEX "federation_state_changes_dest_idx" ON "federation_state_changes" USING btree ("destination","at");--> statement-breakpoint
CREATE INDEX "self_check_runs_started_idx" ON "self_check_runs" USING btree ("started_at");
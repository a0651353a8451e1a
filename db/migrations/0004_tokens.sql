CREATE TABLE "registration_token_records" (
	"token" text PRIMARY KEY NOT NULL,
	"origin" text NOT NULL,
	"issued_by" text,
	"issued_for" text,
	"note" text,
	"created_at" timestamp with time zone NOT NULL,
	"adopted_by" text,
	"adopted_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"revoked_by" text,
	"uses_allowed" integer,
	"pending" integer DEFAULT 0 NOT NULL,
	"completed" integer DEFAULT 0 NOT NULL,
	"expiry_time" bigint,
	"synced_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "registration_token_snapshots" (
	"token" text NOT NULL,
	"day" date NOT NULL,
	"completed" integer NOT NULL,
	"pending" integer NOT NULL,
	"uses_allowed" integer,
	"taken_at" timestamp with time zone NOT NULL,
	CONSTRAINT "registration_token_snapshots_token_day_pk" PRIMARY KEY("token","day")
);
--> statement-breakpoint
CREATE INDEX "registration_token_records_created_idx" ON "registration_token_records" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "registration_token_snapshots_day_idx" ON "registration_token_snapshots" USING btree ("day");
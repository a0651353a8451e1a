CREATE TABLE "homeserver_users" (
	"user_id" text PRIMARY KEY NOT NULL,
	"displayname" text,
	"avatar_url" text,
	"admin" boolean NOT NULL,
	"is_guest" boolean NOT NULL,
	"user_type" text,
	"deactivated" boolean NOT NULL,
	"locked" boolean NOT NULL,
	"shadow_banned" boolean NOT NULL,
	"erased" boolean NOT NULL,
	"approved" boolean NOT NULL,
	"creation_ts" timestamp with time zone,
	"last_seen_ts" timestamp with time zone,
	"search_text" text NOT NULL,
	"run_id" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_count_daily" (
	"day" date PRIMARY KEY NOT NULL,
	"taken_at" timestamp with time zone NOT NULL,
	"total" integer NOT NULL,
	"active_1d" integer,
	"active_7d" integer,
	"active_30d" integer,
	"never_seen" integer,
	"created_1d" integer,
	"created_7d" integer,
	"created_30d" integer,
	"deactivated" integer NOT NULL,
	"locked" integer,
	"guests" integer,
	"admins" integer NOT NULL,
	"regular" integer NOT NULL,
	"bots" integer NOT NULL,
	"support" integer NOT NULL,
	"other_types" integer NOT NULL,
	"shadow_banned" integer NOT NULL,
	"unavailable" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"server_version" text
);
--> statement-breakpoint
CREATE TABLE "user_count_snapshots" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"taken_at" timestamp with time zone NOT NULL,
	"run_id" bigint,
	"total" integer NOT NULL,
	"active_1d" integer,
	"active_7d" integer,
	"active_30d" integer,
	"never_seen" integer,
	"created_1d" integer,
	"created_7d" integer,
	"created_30d" integer,
	"deactivated" integer NOT NULL,
	"locked" integer,
	"guests" integer,
	"admins" integer NOT NULL,
	"regular" integer NOT NULL,
	"bots" integer NOT NULL,
	"support" integer NOT NULL,
	"other_types" integer NOT NULL,
	"shadow_banned" integer NOT NULL,
	"unavailable" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"server_version" text
);
--> statement-breakpoint
CREATE TABLE "user_registrations_daily" (
	"day" date PRIMARY KEY NOT NULL,
	"count" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "homeserver_users_creation_idx" ON "homeserver_users" USING btree ("creation_ts");--> statement-breakpoint
CREATE INDEX "homeserver_users_last_seen_idx" ON "homeserver_users" USING btree ("last_seen_ts");--> statement-breakpoint
CREATE INDEX "user_count_snapshots_taken_at_idx" ON "user_count_snapshots" USING btree ("taken_at");
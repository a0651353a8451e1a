CREATE TABLE "posture_nudges" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"batch_id" text NOT NULL,
	"user_id" text NOT NULL,
	"txn_id" text NOT NULL,
	"actor" text NOT NULL,
	"body" text NOT NULL,
	"template_id" text,
	"status" text NOT NULL,
	"event_id" text,
	"error" text,
	"created_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "posture_scans" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"status" text NOT NULL,
	"cursor" text,
	"users_scanned" integer DEFAULT 0 NOT NULL,
	"total_users" integer,
	"backup_source" text NOT NULL,
	"key_query_limited" boolean DEFAULT false NOT NULL,
	"stale_days" integer NOT NULL,
	"requests" integer DEFAULT 0 NOT NULL,
	"runs" integer DEFAULT 1 NOT NULL,
	"summary" jsonb,
	"notes" jsonb
);
--> statement-breakpoint
CREATE TABLE "posture_users" (
	"scan_id" bigint NOT NULL,
	"user_id" text NOT NULL,
	"displayname" text,
	"category" text NOT NULL,
	"admin" boolean DEFAULT false NOT NULL,
	"cross_signing" text NOT NULL,
	"recovery" text NOT NULL,
	"key_backup" text NOT NULL,
	"no_unverified_sessions" text NOT NULL,
	"fully_secured" text NOT NULL,
	"backup_source" text NOT NULL,
	"backup_version" text,
	"backup_key_count" integer,
	"devices" integer DEFAULT 0 NOT NULL,
	"cross_signed_devices" integer DEFAULT 0 NOT NULL,
	"unverified_devices" integer DEFAULT 0 NOT NULL,
	"no_key_devices" integer DEFAULT 0 NOT NULL,
	"stale_devices" integer DEFAULT 0 NOT NULL,
	"device_list" jsonb,
	"notes" jsonb,
	"scanned_at" timestamp with time zone NOT NULL,
	CONSTRAINT "posture_users_scan_id_user_id_pk" PRIMARY KEY("scan_id","user_id")
);
--> statement-breakpoint
ALTER TABLE "posture_users" ADD CONSTRAINT "posture_users_scan_id_posture_scans_id_fk" FOREIGN KEY ("scan_id") REFERENCES "public"."posture_scans"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "posture_nudges_txn_idx" ON "posture_nudges" USING btree ("txn_id");--> statement-breakpoint
CREATE INDEX "posture_nudges_user_idx" ON "posture_nudges" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "posture_scans_status_started_idx" ON "posture_scans" USING btree ("status","started_at");--> statement-breakpoint
CREATE INDEX "posture_users_scan_fully_idx" ON "posture_users" USING btree ("scan_id","fully_secured");--> statement-breakpoint
CREATE INDEX "posture_users_scan_category_idx" ON "posture_users" USING btree ("scan_id","category","user_id");--> statement-breakpoint
CREATE INDEX "posture_users_user_idx" ON "posture_users" USING btree ("user_id","scan_id");
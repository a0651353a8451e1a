CREATE TABLE "user_bulk_items" (
	"job_id" bigint NOT NULL,
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"device_name" text,
	"last_seen_ts" bigint,
	"last_seen_ip" text,
	"status" text NOT NULL,
	"reason" text,
	"acted_at" timestamp with time zone,
	CONSTRAINT "user_bulk_items_job_id_user_id_device_id_pk" PRIMARY KEY("job_id","user_id","device_id")
);
--> statement-breakpoint
CREATE TABLE "user_bulk_jobs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"actor" text NOT NULL,
	"form_id" text NOT NULL,
	"days" integer,
	"filter_text" text DEFAULT '' NOT NULL,
	"status" text NOT NULL,
	"error" text,
	"total" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"started_at" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"runs" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "user_bulk_jobs_form_id_unique" UNIQUE("form_id")
);
--> statement-breakpoint
ALTER TABLE "user_bulk_items" ADD CONSTRAINT "user_bulk_items_job_id_user_bulk_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."user_bulk_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "user_bulk_items_job_status_idx" ON "user_bulk_items" USING btree ("job_id","status");--> statement-breakpoint
CREATE INDEX "user_bulk_jobs_status_idx" ON "user_bulk_jobs" USING btree ("status","id");
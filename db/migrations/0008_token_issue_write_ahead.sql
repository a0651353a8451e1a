ALTER TABLE "registration_token_records" ADD COLUMN "issue_pending_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "registration_token_records" ADD COLUMN "issue_audit_id" bigint;
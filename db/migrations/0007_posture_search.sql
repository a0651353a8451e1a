ALTER TABLE "posture_users" ADD COLUMN "search_text" text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX "posture_users_scan_devices_idx" ON "posture_users" USING btree ("scan_id","devices","user_id");--> statement-breakpoint
CREATE INDEX "posture_users_scan_unverified_idx" ON "posture_users" USING btree ("scan_id","unverified_devices","user_id");--> statement-breakpoint
CREATE INDEX "posture_users_scan_stale_idx" ON "posture_users" USING btree ("scan_id","stale_devices","user_id");
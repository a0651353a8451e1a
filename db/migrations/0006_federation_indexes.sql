ALTER TABLE "federation_destinations" ADD COLUMN "next_retry_at" bigint GENERATED ALWAYS AS (case when retry_last_ts = 0 then null else retry_last_ts + retry_interval end) STORED;--> statement-breakpoint
CREATE INDEX "federation_destinations_healthy_name_idx" ON "federation_destinations" USING btree ("destination") WHERE retry_last_ts = 0;--> statement-breakpoint
CREATE INDEX "federation_destinations_dead_name_idx" ON "federation_destinations" USING btree ("destination") WHERE retry_last_ts <> 0 and retry_interval >= 604800000;--> statement-breakpoint
CREATE INDEX "federation_destinations_waiting_name_idx" ON "federation_destinations" USING btree ("destination") WHERE retry_last_ts <> 0 and retry_interval < 604800000;--> statement-breakpoint
CREATE INDEX "federation_destinations_failure_asc_idx" ON "federation_destinations" USING btree ("failure_ts","destination");--> statement-breakpoint
CREATE INDEX "federation_destinations_failure_desc_idx" ON "federation_destinations" USING btree ("failure_ts" DESC NULLS LAST,"destination");--> statement-breakpoint
CREATE INDEX "federation_destinations_interval_asc_idx" ON "federation_destinations" USING btree ("retry_interval","destination");--> statement-breakpoint
CREATE INDEX "federation_destinations_interval_desc_idx" ON "federation_destinations" USING btree ("retry_interval" DESC NULLS LAST,"destination");--> statement-breakpoint
CREATE INDEX "federation_destinations_next_asc_idx" ON "federation_destinations" USING btree ("next_retry_at","destination");--> statement-breakpoint
CREATE INDEX "federation_destinations_next_desc_idx" ON "federation_destinations" USING btree ("next_retry_at" DESC NULLS LAST,"destination");--> statement-breakpoint
CREATE INDEX "federation_destinations_last_asc_idx" ON "federation_destinations" USING btree ("retry_last_ts","destination");--> statement-breakpoint
CREATE INDEX "federation_destinations_last_desc_idx" ON "federation_destinations" USING btree ("retry_last_ts" DESC NULLS LAST,"destination");
CREATE TABLE "admin_preferences" (
	"user_id" text PRIMARY KEY NOT NULL,
	"page_size" integer NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
-- The long lists read the admin's page size from here: a change must empty the rendered-page cache (decision 010),
-- like every other table with page data (migration 0009).
CREATE TRIGGER admin_preferences_inserted AFTER INSERT ON admin_preferences REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION steward_notify_rows_changed();--> statement-breakpoint
CREATE TRIGGER admin_preferences_updated AFTER UPDATE ON admin_preferences REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION steward_notify_rows_changed();--> statement-breakpoint
CREATE TRIGGER admin_preferences_deleted AFTER DELETE ON admin_preferences REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION steward_notify_rows_changed();--> statement-breakpoint
CREATE TRIGGER admin_preferences_truncated AFTER TRUNCATE ON admin_preferences FOR EACH STATEMENT EXECUTE FUNCTION steward_notify_truncated();

-- Rendered-page cache invalidation (decision 010): every change to data a page can show notifies the channel
-- steward_data_changed. NOTIFY is transactional (delivered after commit, once per transaction and payload), so a
-- listener never learns of a change before it is visible, and it reaches every process and replica.
-- Statement-level triggers with transition tables: one check per statement rather than one call per row (a
-- 100,000-row collection stays cheap), and a statement that changed nothing (an UPDATE matching no row, an INSERT
-- ... ON CONFLICT DO NOTHING that skipped) does not empty every cache. Sessions and rate limits are not page data
-- and change on every sign-in: they are left out.
CREATE FUNCTION steward_notify_rows_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT FROM changed_rows) THEN
    PERFORM pg_notify('steward_data_changed', '');
  END IF;
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE FUNCTION steward_notify_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('steward_data_changed', '');
  RETURN NULL;
END;
$$;--> statement-breakpoint
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY[
    'audit_events', 'collector_runs', 'federation_destinations', 'federation_snapshots', 'federation_state_changes',
    'self_check_runs', 'homeserver_users', 'user_count_daily', 'user_count_snapshots', 'user_registrations_daily',
    'posture_nudges', 'posture_scans', 'posture_users', 'registration_token_records', 'registration_token_snapshots'
  ] LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION steward_notify_rows_changed()', t || '_inserted', t);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION steward_notify_rows_changed()', t || '_updated', t);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION steward_notify_rows_changed()', t || '_deleted', t);
    EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION steward_notify_truncated()', t || '_truncated', t);
  END LOOP;
END;
$$;

-- Change notifications name the changed table (decision 036): the payload was empty, so a count of stored users
-- (lists/count-memo.server.ts) was thrown away by every audit entry, e.g. each sign-in's. NOTIFY still folds the
-- notifications of one transaction with equal payloads into one, so a transaction notifies once per changed table.
-- The triggers (0009) call these functions by name and stay as they are.
CREATE OR REPLACE FUNCTION steward_notify_rows_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT FROM changed_rows) THEN
    PERFORM pg_notify('steward_data_changed', TG_TABLE_NAME);
  END IF;
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION steward_notify_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('steward_data_changed', TG_TABLE_NAME);
  RETURN NULL;
END;
$$;

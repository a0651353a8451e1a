/**
 * Bulk user jobs (issue 15, decision 020): "sign out these sessions" and "deactivate these accounts" from a
 * report's filter. One row per job, one row per thing it acts on (a device, or an account for deactivation), each
 * with its outcome written as the job goes — so a job that a restart interrupts resumes without acting twice on a
 * device and without skipping one.
 */
import { bigint, bigserial, index, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

export const userBulkJobs = pgTable(
  "user_bulk_jobs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    /** sign-out-unverified | sign-out-stale | deactivate */
    kind: text("kind").notNull(),
    /** The admin who confirmed it (the audit entries name them). */
    actor: text("actor").notNull(),
    /** The confirmation form's one-time id: the same form posted twice creates one job. */
    formId: text("form_id").notNull().unique(),
    /** sign-out-stale: sessions unseen for more than this many days. */
    days: integer("days"),
    /** The report filter it came from, in words (shown on the progress page). */
    filterText: text("filter_text").notNull().default(""),
    /** queued | running | done | stopped */
    status: text("status").notNull(),
    /** Why it stopped (admin rights lost, …), in words. */
    error: text("error"),
    total: integer("total").notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
    /** How many times a process picked it up (1 = never interrupted). */
    runs: integer("runs").notNull().default(0),
  },
  (t) => [index("user_bulk_jobs_status_idx").on(t.status, t.id)],
);

export const userBulkItems = pgTable(
  "user_bulk_items",
  {
    jobId: bigint("job_id", { mode: "number" })
      .notNull()
      .references(() => userBulkJobs.id, { onDelete: "cascade" }),
    userId: text("user_id").notNull(),
    /** The session acted on; "" for an account-level item (deactivation). */
    deviceId: text("device_id").notNull(),
    deviceName: text("device_name"),
    lastSeenTs: bigint("last_seen_ts", { mode: "number" }),
    lastSeenIp: text("last_seen_ip"),
    /**
     * pending | acting (the call was about to be made: on resume, the device's presence decides) | done |
     * skipped (no longer applies: used or verified since the preview, already gone) | failed (the error says why)
     */
    status: text("status").notNull(),
    reason: text("reason"),
    actedAt: timestamp("acted_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.userId, t.deviceId] }), index("user_bulk_items_job_status_idx").on(t.jobId, t.status)],
);

/**
 * Federation snapshots, stored compactly (docs/decisions, "federation snapshots"): the latest known row per
 * destination, per-run counts per state (the chart), and per-destination state changes (the timeline) — not a
 * copy of every destination on every run.
 */
import { sql } from "drizzle-orm";
import { bigint, bigserial, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Partial-index predicates of the classification (federation/classify.server.ts). Queries must repeat them
 * textually (numbers inlined, not parameters) for PostgreSQL to prove a partial index applies.
 */
export const FEDERATION_HEALTHY_SQL = "retry_last_ts = 0";
export const FEDERATION_DEAD_SQL = "retry_last_ts <> 0 and retry_interval >= 604800000";
export const FEDERATION_WAITING_SQL = "retry_last_ts <> 0 and retry_interval < 604800000";

/**
 * The destinations list as of the latest collection (raw Synapse retry fields, ms; nulls already 0).
 * Indexed for the /federation table (decision 006, "page loader"): every sort order has a matching index, so a
 * page reads its 50 rows from an index instead of sorting all destinations; per-state name indexes serve the
 * severity sort one state at a time.
 */
export const federationDestinations = pgTable(
  "federation_destinations",
  {
    destination: text("destination").primaryKey(),
    retryLastTs: bigint("retry_last_ts", { mode: "number" }).notNull(),
    retryInterval: bigint("retry_interval", { mode: "number" }).notNull(),
    failureTs: bigint("failure_ts", { mode: "number" }),
    lastSuccessfulStreamOrdering: bigint("last_successful_stream_ordering", { mode: "number" }),
    /** The state when last collected (the timeline's latest entry); pages reclassify at read time. */
    state: text("state").notNull(),
    firstSeenAt: timestamp("first_seen_at", { withTimezone: true, mode: "date" }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull(),
    /**
     * Set by "Reset connection" in Steward, cleared by the first collection that sees an attempt since (a new
     * failure, or `last_successful_stream_ordering` moving past `reset_stream_ordering`). While set, the row's
     * zeroed retry fields mean "reset, not yet retried", not "the last attempt succeeded".
     */
    resetAt: timestamp("reset_at", { withTimezone: true, mode: "date" }),
    resetStreamOrdering: bigint("reset_stream_ordering", { mode: "number" }),
    /**
     * When Synapse's backoff ends (retry_last_ts + retry_interval), null when healthy. Stored so "backing off"
     * vs "retry due" at any `now` is a comparison of one indexed column; the database keeps it in step.
     */
    nextRetryAt: bigint("next_retry_at", { mode: "number" }).generatedAlwaysAs(
      sql`case when retry_last_ts = 0 then null else retry_last_ts + retry_interval end`,
    ),
  },
  (t) => [
    index("federation_destinations_healthy_name_idx").on(t.destination).where(sql.raw(FEDERATION_HEALTHY_SQL)),
    index("federation_destinations_dead_name_idx").on(t.destination).where(sql.raw(FEDERATION_DEAD_SQL)),
    index("federation_destinations_waiting_name_idx").on(t.destination).where(sql.raw(FEDERATION_WAITING_SQL)),
    index("federation_destinations_failure_asc_idx").on(t.failureTs.asc().nullsLast(), t.destination),
    index("federation_destinations_failure_desc_idx").on(t.failureTs.desc().nullsLast(), t.destination),
    index("federation_destinations_interval_asc_idx").on(t.retryInterval.asc(), t.destination),
    index("federation_destinations_interval_desc_idx").on(t.retryInterval.desc(), t.destination),
    index("federation_destinations_next_asc_idx").on(t.nextRetryAt.asc().nullsLast(), t.destination),
    index("federation_destinations_next_desc_idx").on(t.nextRetryAt.desc().nullsLast(), t.destination),
    index("federation_destinations_last_asc_idx").on(t.retryLastTs.asc(), t.destination),
    index("federation_destinations_last_desc_idx").on(t.retryLastTs.desc(), t.destination),
  ],
);

/** One row per successful collection: counts per state at that moment (the chart). */
export const federationSnapshots = pgTable(
  "federation_snapshots",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    takenAt: timestamp("taken_at", { withTimezone: true, mode: "date" }).notNull(),
    runId: bigint("run_id", { mode: "number" }),
    healthy: integer("healthy").notNull(),
    backingOff: integer("backing_off").notNull(),
    retryDue: integer("retry_due").notNull(),
    dead: integer("dead").notNull(),
    total: integer("total").notNull(),
  },
  (t) => [index("federation_snapshots_taken_idx").on(t.takenAt)],
);

/** A destination's state changed (or it appeared / disappeared) between two observations. */
export const federationStateChanges = pgTable(
  "federation_state_changes",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    destination: text("destination").notNull(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull(),
    /** null when first seen. */
    fromState: text("from_state"),
    /** "removed" when the destination left the list. */
    toState: text("to_state").notNull(),
    retryInterval: bigint("retry_interval", { mode: "number" }),
    failureTs: bigint("failure_ts", { mode: "number" }),
    /** "collector" or "reset" (a reset from Steward). */
    source: text("source").notNull().default("collector"),
  },
  (t) => [index("federation_state_changes_dest_idx").on(t.destination, t.at)],
);

/** One run of the self-check of our own server: every check's result, as shown. */
export const selfCheckRuns = pgTable(
  "self_check_runs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }).notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }).notNull(),
    serverName: text("server_name").notNull(),
    /** The worst status: pass | warn | fail. */
    status: text("status").notNull(),
    trigger: text("trigger").notNull(),
    results: jsonb("results").$type<unknown[]>().notNull(),
  },
  (t) => [index("self_check_runs_started_idx").on(t.startedAt)],
);

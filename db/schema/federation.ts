/**
 * Federation snapshots, stored compactly (docs/decisions, "federation snapshots"): the latest known row per
 * destination, per-run counts per state (the chart), and per-destination state changes (the timeline) — not a
 * copy of every destination on every run.
 */
import { bigint, bigserial, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** The destinations list as of the latest collection (raw Synapse retry fields, ms; nulls already 0). */
export const federationDestinations = pgTable("federation_destinations", {
  destination: text("destination").primaryKey(),
  retryLastTs: bigint("retry_last_ts", { mode: "number" }).notNull(),
  retryInterval: bigint("retry_interval", { mode: "number" }).notNull(),
  failureTs: bigint("failure_ts", { mode: "number" }),
  lastSuccessfulStreamOrdering: bigint("last_successful_stream_ordering", { mode: "number" }),
  /** The state when last collected (the timeline's latest entry); pages reclassify at read time. */
  state: text("state").notNull(),
  firstSeenAt: timestamp("first_seen_at", { withTimezone: true, mode: "date" }).notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull(),
});

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

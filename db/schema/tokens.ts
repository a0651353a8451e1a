/**
 * Steward's own record of registration tokens (the homeserver knows only the counters): who issued a token, for
 * whom, why, and whether Steward revoked it; plus daily snapshots of each token's counters for charts.
 */
import { bigint, date, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

export const registrationTokenRecords = pgTable(
  "registration_token_records",
  {
    token: text("token").primaryKey(),
    /** "steward" = issued here; "outside" = first seen on the homeserver (synadm, another tool, a lost write). */
    origin: text("origin").notNull(),
    /** The admin who issued it (null for tokens created outside Steward). */
    issuedBy: text("issued_by"),
    issuedFor: text("issued_for"),
    note: text("note"),
    /** When Steward issued it, or first saw it on the homeserver. */
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
    adoptedBy: text("adopted_by"),
    adoptedAt: timestamp("adopted_at", { withTimezone: true, mode: "date" }),
    /** Set when the token no longer exists on the homeserver: revoked here, or deleted elsewhere. */
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
    /** The admin who revoked it, or "(deleted outside Steward)". */
    revokedBy: text("revoked_by"),
    /** The homeserver's counters when Steward last saw the token (kept for revoked tokens). */
    usesAllowed: integer("uses_allowed"),
    pending: integer("pending").notNull().default(0),
    completed: integer("completed").notNull().default(0),
    expiryTime: bigint("expiry_time", { mode: "number" }),
    syncedAt: timestamp("synced_at", { withTimezone: true, mode: "date" }),
    /**
     * Set while an issue is written ahead but not yet settled (the homeserver call is in flight, or the process
     * died during it): the record and its pending audit row exist before the homeserver is asked (decision 009).
     */
    issuePendingSince: timestamp("issue_pending_since", { withTimezone: true, mode: "date" }),
    /** The pending `token.create` audit row that settling this issue updates. */
    issueAuditId: bigint("issue_audit_id", { mode: "number" }),
    /**
     * The one-time id of the /tokens/new form this token was issued from (issue 14): a second POST of the same form
     * (double click, resubmit without JavaScript) finds this token instead of issuing another.
     */
    issueFormId: text("issue_form_id"),
  },
  (t) => [index("registration_token_records_created_idx").on(t.createdAt), uniqueIndex("registration_token_records_issue_form_idx").on(t.issueFormId)],
);

/** One row per token per day (the latest reading of that day): completed registrations over time. */
export const registrationTokenSnapshots = pgTable(
  "registration_token_snapshots",
  {
    token: text("token").notNull(),
    day: date("day", { mode: "string" }).notNull(),
    completed: integer("completed").notNull(),
    pending: integer("pending").notNull(),
    usesAllowed: integer("uses_allowed"),
    takenAt: timestamp("taken_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.token, t.day] }), index("registration_token_snapshots_day_idx").on(t.day)],
);

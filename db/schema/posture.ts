/**
 * Security posture: scans (one row per scan, with its resume cursor and final summary), per-user results (one row
 * per user per scan, kept for history) and nudges (server notices sent to users, recorded before sending).
 */
import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/** Counts per check and status, computed when a scan completes (the chart and /metrics read these). */
export type PostureSummary = {
  users: number;
  checks: Record<string, Record<"ok" | "missing" | "unknown", number>>;
  /** The same, for the default scope only (active, non-bot users). */
  scoped?: { users: number; checks: Record<string, Record<"ok" | "missing" | "unknown", number>> };
  /** The same per user category (active, deactivated, bot…), so any "include" combination is a sum. */
  categories?: Record<
    string,
    {
      users: number;
      checks: Record<string, Record<"ok" | "missing" | "unknown", number>>;
      /** The same for the users with at least one stale session (absent in scans summarised before it was kept). */
      stale?: { users: number; checks: Record<string, Record<"ok" | "missing" | "unknown", number>> };
      /**
       * Users the report's actions would reach (not deactivated): missing something (a nudge), with an unverified
       * session, with a stale one (bulk sign-out). Absent in scans summarised before it was kept.
       */
      actions?: { nudgeable: number; unverified: number; stale: number };
    }
  >;
};

export const postureScans = pgTable(
  "posture_scans",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }).notNull(),
    /** When the last page was written (progress and the "stale" check). */
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
    /** running | complete | abandoned */
    status: text("status").notNull(),
    /** The next `from` of the users list: a resumed scan continues from here. Null once complete. */
    cursor: text("cursor"),
    usersScanned: integer("users_scanned").notNull().default(0),
    totalUsers: integer("total_users"),
    /** database | login_as | account_data: where the key-backup facts of this scan come from. */
    backupSource: text("backup_source").notNull(),
    /** The msc4263 caveat: keys/query only shows users who share a room with the admin. */
    keyQueryLimited: boolean("key_query_limited").notNull().default(false),
    staleDays: integer("stale_days").notNull(),
    /** Homeserver requests made by this scan (all attempts), for "requests per user". */
    requests: integer("requests").notNull().default(0),
    /** How many times a run picked this scan up (1 = never interrupted). */
    runs: integer("runs").notNull().default(1),
    summary: jsonb("summary").$type<PostureSummary>(),
    notes: jsonb("notes").$type<string[]>(),
  },
  (t) => [index("posture_scans_status_started_idx").on(t.status, t.startedAt)],
);

/** A device as the report shows it. */
export type PostureDevice = {
  id: string;
  name: string | null;
  lastSeenTs: number | null;
  /** cross_signed | unverified | no_keys | keys_only (keys, but the user has no cross-signing) */
  state: string;
  stale: boolean;
  /** The last address it was seen from (scans before issue 15's bulk sign-out did not keep it). */
  ip?: string | null;
};

export const postureUsers = pgTable(
  "posture_users",
  {
    scanId: bigint("scan_id", { mode: "number" })
      .notNull()
      .references(() => postureScans.id, { onDelete: "cascade" }),
    userId: text("user_id").notNull(),
    displayname: text("displayname"),
    /** active | deactivated | bot | support | appservice */
    category: text("category").notNull(),
    admin: boolean("admin").notNull().default(false),
    /** Each check: ok | missing | unknown. */
    crossSigning: text("cross_signing").notNull(),
    recovery: text("recovery").notNull(),
    keyBackup: text("key_backup").notNull(),
    noUnverifiedSessions: text("no_unverified_sessions").notNull(),
    fullySecured: text("fully_secured").notNull(),
    /** database | login_as | account_data */
    backupSource: text("backup_source").notNull(),
    backupVersion: text("backup_version"),
    backupKeyCount: integer("backup_key_count"),
    devices: integer("devices").notNull().default(0),
    crossSignedDevices: integer("cross_signed_devices").notNull().default(0),
    unverifiedDevices: integer("unverified_devices").notNull().default(0),
    noKeyDevices: integer("no_key_devices").notNull().default(0),
    staleDevices: integer("stale_devices").notNull().default(0),
    deviceList: jsonb("device_list").$type<PostureDevice[]>(),
    /** Why a check is unknown, what secret storage holds, etc. */
    notes: jsonb("notes").$type<Record<string, string>>(),
    /** lower(user id + display name): substring search with LIKE, much cheaper than ILIKE on two columns. */
    searchText: text("search_text").notNull().default(""),
    scannedAt: timestamp("scanned_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.scanId, t.userId] }),
    index("posture_users_scan_fully_idx").on(t.scanId, t.fullySecured),
    index("posture_users_scan_category_idx").on(t.scanId, t.category, t.userId),
    index("posture_users_user_idx").on(t.userId, t.scanId),
    // Sorting by session counts: walked in order and stopped at the page's end instead of sorting every row.
    index("posture_users_scan_devices_idx").on(t.scanId, t.devices, t.userId),
    index("posture_users_scan_unverified_idx").on(t.scanId, t.unverifiedDevices, t.userId),
    index("posture_users_scan_stale_idx").on(t.scanId, t.staleDevices, t.userId),
  ],
);

/** One server notice to one user. Written (status "pending") before the send, so a retry reuses its txnId. */
export const postureNudges = pgTable(
  "posture_nudges",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    /** Groups the nudges of one "send" action. */
    batchId: text("batch_id").notNull(),
    userId: text("user_id").notNull(),
    /** Deterministic per (batch, user): the same logical notice always goes out under the same txnId. */
    txnId: text("txn_id").notNull(),
    actor: text("actor").notNull(),
    /** The message as sent (placeholders filled in). */
    body: text("body").notNull(),
    templateId: text("template_id"),
    /** pending | sent | failed */
    status: text("status").notNull(),
    eventId: text("event_id"),
    error: text("error"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
    sentAt: timestamp("sent_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [uniqueIndex("posture_nudges_txn_idx").on(t.txnId), index("posture_nudges_user_idx").on(t.userId, t.createdAt)],
);

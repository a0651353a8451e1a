/**
 * User counts over time and the latest copy of the homeserver's user list (issue 4).
 *
 * - `user_count_snapshots`: one row per successful "user-counts" collector run (every 15 min by default).
 * - `user_count_daily`: the last snapshot of each UTC day, upserted by every run, so charts over months and
 *   years read a few hundred rows instead of tens of thousands (see docs/decisions, user counts).
 * - `user_registrations_daily`: accounts created per UTC day, recomputed from the full list on every run
 *   (it covers the time before Steward was installed, which snapshots cannot).
 * - `homeserver_users`: the latest full user list; pages read it instead of asking the homeserver.
 *
 * A count column is NULL when the server cannot tell (e.g. no `last_seen_ts` before Synapse 1.92); the
 * `unavailable` map then says why, so the UI shows "not available on Synapse X" instead of 0.
 */
import { bigint, bigserial, boolean, date, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** The counted categories; shared by snapshots and the daily rollup. */
function countColumns() {
  return {
    total: integer("total").notNull(),
    active1d: integer("active_1d"),
    active7d: integer("active_7d"),
    active30d: integer("active_30d"),
    neverSeen: integer("never_seen"),
    created1d: integer("created_1d"),
    created7d: integer("created_7d"),
    created30d: integer("created_30d"),
    deactivated: integer("deactivated").notNull(),
    locked: integer("locked"),
    guests: integer("guests"),
    admins: integer("admins").notNull(),
    regular: integer("regular").notNull(),
    bots: integer("bots").notNull(),
    support: integer("support").notNull(),
    /** Custom user_type values (appservices may set their own). */
    otherTypes: integer("other_types").notNull(),
    shadowBanned: integer("shadow_banned").notNull(),
    /** Count name → why the server cannot provide it (e.g. "Not available on Synapse 1.90 (needs 1.92)"). */
    unavailable: jsonb("unavailable").$type<Record<string, string>>().notNull().default({}),
    serverVersion: text("server_version"),
  };
}

export const userCountSnapshots = pgTable(
  "user_count_snapshots",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    takenAt: timestamp("taken_at", { withTimezone: true, mode: "date" }).notNull(),
    runId: bigint("run_id", { mode: "number" }),
    ...countColumns(),
  },
  (t) => [index("user_count_snapshots_taken_at_idx").on(t.takenAt)],
);

export const userCountDaily = pgTable("user_count_daily", {
  /** UTC day. */
  day: date("day", { mode: "string" }).primaryKey(),
  takenAt: timestamp("taken_at", { withTimezone: true, mode: "date" }).notNull(),
  ...countColumns(),
});

export const userRegistrationsDaily = pgTable("user_registrations_daily", {
  day: date("day", { mode: "string" }).primaryKey(),
  count: integer("count").notNull(),
});

export const homeserverUsers = pgTable(
  "homeserver_users",
  {
    /** COLLATE "C" (migration 0005): byte-wise order, as Synapse's own database sorts user ids. */
    userId: text("user_id").primaryKey(),
    /** Untrusted text from the homeserver. */
    displayname: text("displayname"),
    avatarUrl: text("avatar_url"),
    admin: boolean("admin").notNull(),
    isGuest: boolean("is_guest").notNull(),
    userType: text("user_type"),
    deactivated: boolean("deactivated").notNull(),
    locked: boolean("locked").notNull(),
    shadowBanned: boolean("shadow_banned").notNull(),
    erased: boolean("erased").notNull(),
    approved: boolean("approved").notNull(),
    creationTs: timestamp("creation_ts", { withTimezone: true, mode: "date" }),
    lastSeenTs: timestamp("last_seen_ts", { withTimezone: true, mode: "date" }),
    /**
     * lower(user id + newline + display name): what the users page searches with a substring match. A plain
     * scan of 100,000 rows stays within the target on PostgreSQL and PGlite, and needs no extension (pg_trgm).
     */
    searchText: text("search_text").notNull(),
    /** The collector run that last saw this user; rows from older runs are users the server no longer lists. */
    runId: bigint("run_id", { mode: "number" }).notNull(),
  },
  (t) => [
    index("homeserver_users_creation_idx").on(t.creationTs),
    index("homeserver_users_last_seen_idx").on(t.lastSeenTs),
  ],
);

export type UserCountSnapshot = typeof userCountSnapshots.$inferSelect;
export type StoredUser = typeof homeserverUsers.$inferSelect;

/**
 * Foundation tables: admin sessions, the audit log, collector runs and database-held rate limits.
 * Feature tables live in their own files beside this one (one domain per file).
 */
import { bigserial, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** A signed-in admin. The cookie carries a random id; only its SHA-256 is stored, so a database leak yields no session. */
export const adminSessions = pgTable(
  "admin_sessions",
  {
    idHash: text("id_hash").primaryKey(),
    userId: text("user_id").notNull(),
    homeserverUrl: text("homeserver_url").notNull(),
    /** The homeserver access token, AES-256-GCM encrypted with a key derived from SESSION_SECRET. */
    accessTokenEnc: text("access_token_enc").notNull(),
    deviceId: text("device_id"),
    /** Homeserver version seen at sign-in, for the header. */
    serverVersion: text("server_version"),
    /** True when the admin pasted an access token instead of logging in: sign-out must not log out their token. */
    tokenProvided: integer("token_provided").notNull().default(0),
    csrfToken: text("csrf_token").notNull(),
    /**
     * How many devices of this admin's account carry Steward's device name, as last seen (at sign-in, on the
     * minute's re-check, on their own user page); null until known. Shown in the header (decision 021).
     */
    stewardDevices: integer("steward_devices"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true, mode: "date" }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [index("admin_sessions_last_seen_idx").on(t.lastSeenAt)],
);

/** Every mutating action and every sign-in attempt: who did what to what, and how it ended. */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    target: text("target"),
    outcome: text("outcome").notNull(),
    detail: jsonb("detail").$type<Record<string, unknown>>(),
    requestId: text("request_id"),
  },
  (t) => [index("audit_events_at_idx").on(t.at), index("audit_events_action_idx").on(t.action)],
);

/** One row per collector run: what the overview's "stale since" banner and the progress bar read. */
export const collectorRuns = pgTable(
  "collector_runs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    collector: text("collector").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }).notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
    /** running | ok | failed | abandoned */
    status: text("status").notNull(),
    items: integer("items").notNull().default(0),
    total: integer("total"),
    error: text("error"),
    trigger: text("trigger").notNull().default("schedule"),
  },
  (t) => [index("collector_runs_collector_started_idx").on(t.collector, t.startedAt)],
);

/** Fixed-window counters shared by every replica (sign-in and public registration limits). */
export const rateLimits = pgTable("rate_limits", {
  key: text("key").primaryKey(),
  windowStart: timestamp("window_start", { withTimezone: true, mode: "date" }).notNull(),
  count: integer("count").notNull(),
});

/**
 * Per-admin display preferences, by Matrix user id (so they follow the admin across browsers and sign-ins): the
 * rows per page of the long lists (users, security, federation; issue 18).
 */
export const adminPreferences = pgTable("admin_preferences", {
  userId: text("user_id").primaryKey(),
  pageSize: integer("page_size").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull(),
});

/**
 * Small facts about this installation, one row per key. `homeserver`: the homeserver every stored row belongs to,
 * and the one before it when HOMESERVER_URL changed (decision 019).
 */
export const stewardMeta = pgTable("steward_meta", {
  key: text("key").primaryKey(),
  value: jsonb("value").$type<Record<string, unknown>>().notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull(),
});

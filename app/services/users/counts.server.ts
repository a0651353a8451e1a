/**
 * User counts: what is counted (and what an older or delegated server cannot tell), the snapshots that keep
 * them over time, and the series the overview charts draw.
 *
 * Definitions (docs/decisions, user counts):
 * - total: every account the server lists (deactivated, locked and guests included);
 * - active_Nd: not deactivated and `last_seen_ts` within N days; never_seen: not deactivated, no `last_seen_ts`;
 * - created_Nd: `creation_ts` within N days (whatever became of the account since);
 * - deactivated, locked, guests, admins, shadow_banned and the user types: flags over all accounts.
 */
import { asc, desc, gte, lte, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { userCountDaily, userCountSnapshots, userRegistrationsDaily, type UserCountSnapshot } from "../../../db/schema";
import type { UserSummary } from "../../homeserver";
import { RANGE_DAYS, type Range } from "./ranges";
import type { CountPoint, RegistrationPoint, UserSeries } from "./series";
import type { GaugeProvider } from "../observability/gauges.server";

const DAY_MS = 86_400_000;

/** The rows of a raw `db.execute` (the shared Db type leaves its result untyped; both drivers return `rows`). */
export function rowsOf<T>(res: unknown): T[] {
  return (res as { rows: T[] }).rows;
}

export interface UserCounts {
  total: number;
  active1d: number | null;
  active7d: number | null;
  active30d: number | null;
  neverSeen: number | null;
  created1d: number | null;
  created7d: number | null;
  created30d: number | null;
  deactivated: number;
  locked: number | null;
  guests: number | null;
  admins: number;
  regular: number;
  bots: number;
  support: number;
  otherTypes: number;
  shadowBanned: number;
  /** Count name → why the server cannot provide it. */
  unavailable: Record<string, string>;
}

export type NullableCount = "active1d" | "active7d" | "active30d" | "neverSeen" | "created1d" | "created7d" | "created30d" | "locked" | "guests";

/** "1.132.0", "1.98.0rc1", "1.90.0 (b=develop)" → [1, 132]; null when it is not a Synapse-style version. */
export function parseVersion(version: string | null | undefined): [number, number] | null {
  const m = /^v?(\d+)\.(\d+)/.exec(version?.trim() ?? "");
  return m ? [Number(m[1]), Number(m[2])] : null;
}

function atLeast(v: [number, number] | null, major: number, minor: number): boolean {
  if (!v) return true; // unknown or non-Synapse version: assume a current server and read what it sends
  return v[0] > major || (v[0] === major && v[1] >= minor);
}

export interface ServerFacts {
  /** From /_synapse/admin/v1/server_version; null when it could not be read. */
  version: string | null;
  /** False when the list refused guests=true (authentication delegated to MAS). */
  guestsListable: boolean;
}

/** Which counts this server cannot provide, and why (shown instead of a misleading 0). */
export function unavailableCounts(facts: ServerFacts): Partial<Record<NullableCount, string>> {
  const v = parseVersion(facts.version);
  const on = `Not available on Synapse ${facts.version}`;
  const out: Partial<Record<NullableCount, string>> = {};
  if (!atLeast(v, 1, 92)) {
    for (const k of ["active1d", "active7d", "active30d", "neverSeen"] as const) out[k] = `${on}: the user list has no last-seen time before 1.92.`;
  }
  if (!atLeast(v, 1, 40)) {
    for (const k of ["created1d", "created7d", "created30d"] as const) out[k] = `${on}: the user list has no creation time before 1.40.`;
  }
  if (!atLeast(v, 1, 93)) out.locked = `${on}: account locking arrived in 1.93.`;
  if (!facts.guestsListable) {
    out.guests = "Not available: this homeserver delegates sign-in to an authentication service (MAS), and its user list refuses to include guests.";
  }
  return out;
}

/** Counts users page by page, so a pass over 100,000 users never holds them all at once. */
export class UserTally {
  private readonly c: Omit<UserCounts, "unavailable"> = {
    total: 0, active1d: 0, active7d: 0, active30d: 0, neverSeen: 0, created1d: 0, created7d: 0, created30d: 0,
    deactivated: 0, locked: 0, guests: 0, admins: 0, regular: 0, bots: 0, support: 0, otherTypes: 0, shadowBanned: 0,
  };
  /** UTC day (YYYY-MM-DD) → accounts created that day. */
  readonly registrationsPerDay = new Map<string, number>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly now: number,
    private readonly unavailable: Partial<Record<NullableCount, string>> = {},
  ) {}

  /** Adds a user; returns false for a duplicate (offset paging can repeat a user when the list shifts). */
  /** Every user id the pass has seen. */
  userIds(): ReadonlySet<string> {
    return this.seen;
  }

  add(u: UserSummary): boolean {
    if (this.seen.has(u.userId)) return false;
    this.seen.add(u.userId);
    const c = this.c as Record<keyof typeof this.c, number>;
    const within = (ts: number | null, days: number) => ts !== null && ts >= this.now - days * DAY_MS;
    c.total++;
    if (u.deactivated) c.deactivated++;
    else {
      if (u.lastSeenTs === null) c.neverSeen++;
      if (within(u.lastSeenTs, 1)) c.active1d++;
      if (within(u.lastSeenTs, 7)) c.active7d++;
      if (within(u.lastSeenTs, 30)) c.active30d++;
    }
    if (within(u.creationTs, 1)) c.created1d++;
    if (within(u.creationTs, 7)) c.created7d++;
    if (within(u.creationTs, 30)) c.created30d++;
    if (u.locked) c.locked++;
    if (u.isGuest) c.guests++;
    if (u.admin) c.admins++;
    if (u.shadowBanned) c.shadowBanned++;
    if (u.userType === null || u.userType === "") c.regular++;
    else if (u.userType === "bot") c.bots++;
    else if (u.userType === "support") c.support++;
    else c.otherTypes++;
    if (u.creationTs !== null) {
      const day = new Date(u.creationTs).toISOString().slice(0, 10);
      this.registrationsPerDay.set(day, (this.registrationsPerDay.get(day) ?? 0) + 1);
    }
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  result(): UserCounts {
    const out: UserCounts = { ...this.c, unavailable: { ...this.unavailable } as Record<string, string> };
    for (const k of Object.keys(this.unavailable) as NullableCount[]) out[k] = null;
    return out;
  }
}

// ------------------------------------------------------------------ storage

/** Saves a snapshot, folds it into its day's row and replaces the registrations histogram. One transaction. */
export async function storeSnapshot(
  db: Db,
  args: { counts: UserCounts; takenAt: Date; runId: number | null; serverVersion: string | null; registrationsPerDay?: Map<string, number> },
): Promise<void> {
  const values = { ...args.counts, serverVersion: args.serverVersion, takenAt: args.takenAt };
  const day = args.takenAt.toISOString().slice(0, 10);
  await db.transaction(async (tx) => {
    await tx.insert(userCountSnapshots).values({ ...values, runId: args.runId });
    const { takenAt: _t, ...rest } = values;
    await tx
      .insert(userCountDaily)
      .values({ day, ...values })
      .onConflictDoUpdate({
        target: userCountDaily.day,
        set: { ...rest, takenAt: args.takenAt },
        // A late-finishing older run must not overwrite a newer snapshot of the same day.
        setWhere: sql`${userCountDaily.takenAt} <= ${args.takenAt.toISOString()}::timestamptz`,
      });
    if (args.registrationsPerDay) {
      await tx.delete(userRegistrationsDaily);
      const rows = [...args.registrationsPerDay].map(([d, count]) => ({ day: d, count }));
      for (let i = 0; i < rows.length; i += 1000) await tx.insert(userRegistrationsDaily).values(rows.slice(i, i + 1000));
    }
  });
}

/** What a rebuilt day says about the counts it cannot know (the charts read it to say so). */
export const REBUILT_NOTE =
  "Rebuilt from each account's creation time on Steward's first count: accounts that existed that day, including ones deactivated since; deactivations, activity and account types before the first count are unknown.";

const REBUILT_UNKNOWN = ["active1d", "active7d", "active30d", "neverSeen", "locked", "guests", "deactivated", "admins", "bots", "shadowBanned"] as const;

/**
 * "Accounts over time" from day one: on the first count ever (no daily row yet), every past day from the oldest
 * account to the day before `firstDay` gets a row whose total is the accounts created on or before it (the
 * registrations histogram, summed). Synapse keeps no history of deactivations, activity or flags, so those are
 * marked unknown in `unavailable` rather than guessed. Runs once (it needs an empty rollup) and never overwrites a
 * day that has a real snapshot. Returns the number of days written.
 */
export async function backfillDailyFromCreation(db: Db, registrationsPerDay: Map<string, number>, firstDay: string): Promise<number> {
  const days = [...registrationsPerDay.keys()].filter((d) => d < firstDay).sort();
  if (!days.length) return 0;
  return db.transaction(async (tx) => {
    const [existing] = await tx.select({ day: userCountDaily.day }).from(userCountDaily).limit(1);
    if (existing) return 0;
    const unavailable = Object.fromEntries(REBUILT_UNKNOWN.map((k) => [k, REBUILT_NOTE]));
    const rows: Array<typeof userCountDaily.$inferInsert> = [];
    let total = 0;
    for (let t = Date.parse(`${days[0]}T00:00:00Z`); ; t += DAY_MS) {
      const day = new Date(t).toISOString().slice(0, 10);
      if (day >= firstDay) break;
      total += registrationsPerDay.get(day) ?? 0;
      const created = (n: number) => {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += registrationsPerDay.get(new Date(t - i * DAY_MS).toISOString().slice(0, 10)) ?? 0;
        return sum;
      };
      rows.push({
        day,
        // The end of that day: the moment the count describes.
        takenAt: new Date(t + DAY_MS - 1),
        total,
        active1d: null, active7d: null, active30d: null, neverSeen: null, locked: null, guests: null,
        created1d: created(1), created7d: created(7), created30d: created(30),
        deactivated: 0, admins: 0, regular: 0, bots: 0, support: 0, otherTypes: 0, shadowBanned: 0,
        unavailable,
        serverVersion: null,
      });
    }
    for (let i = 0; i < rows.length; i += 1000) await tx.insert(userCountDaily).values(rows.slice(i, i + 1000)).onConflictDoNothing();
    return rows.length;
  });
}

/** Whether a daily row was rebuilt from creation times rather than counted. */
export function isRebuilt(unavailable: Record<string, string> | null | undefined): boolean {
  return unavailable?.deactivated === REBUILT_NOTE;
}

export async function latestSnapshot(db: Db): Promise<UserCountSnapshot | null> {
  const [row] = await db.select().from(userCountSnapshots).orderBy(desc(userCountSnapshots.takenAt)).limit(1);
  return row ?? null;
}

/** The newest snapshot taken at or before `at` (for "vs a week ago"). */
export async function snapshotAtOrBefore(db: Db, at: Date): Promise<UserCountSnapshot | null> {
  const [row] = await db
    .select()
    .from(userCountSnapshots)
    .where(lte(userCountSnapshots.takenAt, at))
    .orderBy(desc(userCountSnapshots.takenAt))
    .limit(1);
  return row ?? null;
}

// ------------------------------------------------------------------ chart series

export { RANGES, type Range } from "./ranges";

export type { CountPoint, RegistrationPoint, UserSeries } from "./series";


/**
 * The points of the charts. 7 days read the snapshots, thinned to one per hour; 30 days and longer read the daily
 * rollup, so a year is ~365 rows whatever the collection interval.
 */
export async function userSeries(db: Db, range: Range, now: Date): Promise<UserSeries> {
  const days = RANGE_DAYS[range];
  const since = days === null ? null : new Date(now.getTime() - days * DAY_MS);
  const counts = since && days === 7 ? await thinnedSnapshots(db, since, 3600, now) : await dailyCounts(db, since);
  const registrationBucket = days !== null && days <= 30 ? "day" : days === 365 ? "week" : "month";
  const sinceDay = since ? since.toISOString().slice(0, 10) : "0001-01-01";
  const bucket = sql.raw(`'${registrationBucket}'`);
  const regs = rowsOf<{ t: string; count: string | number }>(await db.execute(sql`
    select to_char(date_trunc(${bucket}, day::timestamp), 'YYYY-MM-DD') as t, sum(count) as count
    from user_registrations_daily where day >= ${sinceDay}::date group by 1 order by 1`));
  const points = regs.map((r) => ({ t: Date.parse(`${r.t}T00:00:00Z`), count: Number(r.count) }));
  return { range, counts, registrations: fillBuckets(points, registrationBucket, since, now), registrationBucket };
}

/** Buckets without registrations become explicit zeros, so bars sit at their true place in time. */
export function fillBuckets(points: RegistrationPoint[], bucket: "day" | "week" | "month", since: Date | null, now: Date): RegistrationPoint[] {
  const start = since ? truncate(since, bucket) : points[0]?.t;
  if (start === undefined) return [];
  const byT = new Map(points.map((p) => [p.t, p.count]));
  const out: RegistrationPoint[] = [];
  for (let t = start; t <= now.getTime() && out.length < 5000; t = step(t, bucket)) out.push({ t, count: byT.get(t) ?? 0 });
  return out;
}

function truncate(d: Date, bucket: "day" | "week" | "month"): number {
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (bucket === "day") return day;
  if (bucket === "month") return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  return day - ((new Date(day).getUTCDay() + 6) % 7) * DAY_MS; // ISO weeks start on Monday, like date_trunc
}

function step(t: number, bucket: "day" | "week" | "month"): number {
  if (bucket === "day") return t + DAY_MS;
  if (bucket === "week") return t + 7 * DAY_MS;
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/**
 * The last snapshot of each bucket, found by one backward index probe per bucket (a few hundred probes) rather
 * than by sorting every snapshot in the range: the cost stays flat however often the collector runs.
 */
async function thinnedSnapshots(db: Db, since: Date, bucketSeconds: number, now: Date): Promise<CountPoint[]> {
  // Inlined (numbers we chose), so they are constants in the plan rather than parameters.
  const step = sql.raw(`interval '${Math.floor(bucketSeconds)} seconds'`);
  const first = Math.floor(since.getTime() / 1000 / bucketSeconds) * bucketSeconds;
  type Row = { taken_at: string | Date; total: number; active_1d: number | null; active_7d: number | null; active_30d: number | null; deactivated: number };
  const rows = rowsOf<Row>(await db.execute(sql`
    select s.taken_at, s.total, s.active_1d, s.active_7d, s.active_30d, s.deactivated
    from generate_series(to_timestamp(${first}), ${now.toISOString()}::timestamptz, ${step}) as b(t)
    cross join lateral (
      select taken_at, total, active_1d, active_7d, active_30d, deactivated from user_count_snapshots
      where taken_at >= b.t and taken_at < b.t + ${step} and taken_at >= ${since.toISOString()}::timestamptz
      order by taken_at desc limit 1
    ) s
    order by s.taken_at`));
  return rows.map((r) => ({
    t: new Date(r.taken_at).getTime(),
    total: Number(r.total),
    active1d: r.active_1d === null ? null : Number(r.active_1d),
    active7d: r.active_7d === null ? null : Number(r.active_7d),
    active30d: r.active_30d === null ? null : Number(r.active_30d),
    deactivated: Number(r.deactivated),
  }));
}

async function dailyCounts(db: Db, since: Date | null): Promise<CountPoint[]> {
  const d = userCountDaily;
  const rows = await db
    .select({ t: d.takenAt, total: d.total, active1d: d.active1d, active7d: d.active7d, active30d: d.active30d, deactivated: d.deactivated, unavailable: d.unavailable })
    .from(d)
    .where(since ? gte(d.day, since.toISOString().slice(0, 10)) : undefined)
    .orderBy(asc(d.day));
  return rows.map(({ unavailable, ...r }) =>
    // A rebuilt day knows its accounts, not its deactivations: null draws a gap instead of a false 0.
    isRebuilt(unavailable) ? { ...r, t: r.t.getTime(), deactivated: null, rebuilt: true } : { ...r, t: r.t.getTime() },
  );
}


// ------------------------------------------------------------------ Prometheus

const GAUGE_STATES: Array<[string, keyof UserCounts]> = [
  ["total", "total"], ["active_1d", "active1d"], ["active_7d", "active7d"], ["active_30d", "active30d"],
  ["never_seen", "neverSeen"], ["deactivated", "deactivated"], ["locked", "locked"], ["guests", "guests"],
  ["admins", "admins"], ["bots", "bots"],
];

/** `steward_users{state=...}` from the latest snapshot; counts the server cannot provide are left out, not 0. */
export const userCountGauges: GaugeProvider = async (db) => {
  const latest = await latestSnapshot(db);
  if (!latest) return [];
  return [
    {
      name: "steward_users",
      help: "Accounts on the homeserver by state, from the latest user-counts snapshot.",
      samples: GAUGE_STATES.flatMap(([state, key]) => {
        const v = latest[key as keyof UserCountSnapshot];
        return typeof v === "number" ? [{ labels: { state }, value: v }] : [];
      }),
    },
    {
      name: "steward_users_snapshot_timestamp_seconds",
      help: "When the latest user-counts snapshot was taken (Unix time).",
      samples: [{ labels: {}, value: Math.floor(latest.takenAt.getTime() / 1000) }],
    },
  ];
};

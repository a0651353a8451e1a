/**
 * Reads for the security report: the latest complete scan, its counts (precomputed for the default scope, so the
 * page stays fast at 100,000 users), the filtered and paged per-user table, the history for the chart, one user's
 * posture, and keyset-paged batches for the exports.
 */
import { and, asc, desc, eq, gt, inArray, like as like_, ne, sql, type SQL } from "drizzle-orm";
import type { Database, Db } from "../../../db/client";
import { postureScans, postureUsers, type PostureSummary } from "../../../db/schema";
import { nudgesOf } from "./nudge.server";
import { CHECKS, type CheckName, type CheckStatus } from "./classify.server";
import { pageAndTotal } from "../lists/page-total.server";

export const EXTRA_CATEGORIES = ["deactivated", "bot", "support", "appservice"] as const;
export type ExtraCategory = (typeof EXTRA_CATEGORIES)[number];
export const SORTS = ["user", "devices", "unverified", "stale"] as const;

export interface PostureFilter {
  check?: CheckName;
  status?: CheckStatus;
  /** Only users with at least one stale session. */
  stale?: boolean;
  /** Only users with more than this many sessions. */
  moreThan?: number;
  /** Categories shown besides the active users. */
  include: ExtraCategory[];
  q?: string;
}

export interface PostureListQuery extends PostureFilter {
  sort: (typeof SORTS)[number];
  dir: "asc" | "desc";
  page: number;
  pageSize: number;
}

export type PostureUserRow = typeof postureUsers.$inferSelect;
export type PostureScan = typeof postureScans.$inferSelect;

const CHECK_COLUMN = {
  cross_signing: postureUsers.crossSigning,
  recovery: postureUsers.recovery,
  key_backup: postureUsers.keyBackup,
  no_unverified_sessions: postureUsers.noUnverifiedSessions,
  fully_secured: postureUsers.fullySecured,
} as const;

export async function latestCompleteScan(db: Db): Promise<PostureScan | null> {
  const [scan] = await db.select().from(postureScans).where(eq(postureScans.status, "complete")).orderBy(desc(postureScans.finishedAt)).limit(1);
  return scan ?? null;
}

/** The scan in progress (a running or interrupted-and-resumable one), for "scanning… n of N". */
export async function runningScan(db: Db): Promise<PostureScan | null> {
  const [scan] = await db.select().from(postureScans).where(eq(postureScans.status, "running")).orderBy(desc(postureScans.startedAt)).limit(1);
  return scan ?? null;
}

function whereOf(scanId: number, f: PostureFilter): SQL {
  const parts: SQL[] = [eq(postureUsers.scanId, scanId), inArray(postureUsers.category, ["active", ...f.include])];
  // With no check chosen, the status applies to the overall verdict: "missing" = missing at least one check.
  if (f.check) parts.push(eq(CHECK_COLUMN[f.check], f.status ?? "missing"));
  else if (f.status) parts.push(eq(postureUsers.fullySecured, f.status));
  if (f.stale) parts.push(gt(postureUsers.staleDevices, 0));
  if (f.moreThan !== undefined) parts.push(gt(postureUsers.devices, f.moreThan));
  if (f.q) {
    const like = `%${f.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    parts.push(like_(postureUsers.searchText, like));
  }
  return and(...parts)!;
}

export type Counts = PostureSummary["checks"];

/** Counts per check for the scope (the precomputed summary when the scope is the default one). */
export async function scopeCounts(db: Db, scan: PostureScan, include: ExtraCategory[]): Promise<{ users: number; checks: Counts }> {
  if (include.length === 0 && scan.summary?.scoped) return scan.summary.scoped;
  if (include.length === EXTRA_CATEGORIES.length && scan.summary) return { users: scan.summary.users, checks: scan.summary.checks };
  const cats = scan.summary?.categories;
  if (cats) {
    // Any scope is a sum of the per-category counts computed when the scan finished.
    const checks = Object.fromEntries(CHECKS.map((c) => [c, { ok: 0, missing: 0, unknown: 0 }])) as Counts;
    let users = 0;
    for (const name of ["active", ...include]) {
      const cat = cats[name];
      if (!cat) continue;
      users += cat.users;
      for (const c of CHECKS) for (const st of ["ok", "missing", "unknown"] as const) checks[c][st] += cat.checks[c]?.[st] ?? 0;
    }
    return { users, checks };
  }
  const checks = Object.fromEntries(CHECKS.map((c) => [c, { ok: 0, missing: 0, unknown: 0 }])) as Counts;
  const rows = await db
    .select({
      c: sql<string>`c.check_name`,
      s: sql<string>`c.status`,
      n: sql<number>`count(*)::int`,
    })
    .from(
      sql`${postureUsers} cross join lateral (values
        ('cross_signing', ${postureUsers.crossSigning}), ('recovery', ${postureUsers.recovery}),
        ('key_backup', ${postureUsers.keyBackup}), ('no_unverified_sessions', ${postureUsers.noUnverifiedSessions}),
        ('fully_secured', ${postureUsers.fullySecured})) as c(check_name, status)`,
    )
    .where(and(eq(postureUsers.scanId, scan.id), inArray(postureUsers.category, ["active", ...include])))
    .groupBy(sql`c.check_name`, sql`c.status`);
  for (const r of rows) (checks[r.c] as Record<string, number>)[r.s] = Number(r.n);
  return { users: checks.fully_secured.ok + checks.fully_secured.missing + checks.fully_secured.unknown, checks };
}

/** How many rows match, from the scan's summary when the filter is only scope, check and stale (no search, size). */
export function totalFromSummary(scan: PostureScan | undefined, q: PostureFilter): number | null {
  const cats = scan?.summary?.categories;
  if (!cats || q.q || q.moreThan !== undefined) return null;
  let n = 0;
  for (const name of ["active", ...q.include]) {
    const cat = cats[name];
    if (!cat) continue;
    const counts = q.stale ? cat.stale : cat;
    if (!counts) return null; // summarised before the stale counts were kept
    n += q.check ? (counts.checks[q.check]?.[q.status ?? "missing"] ?? 0) : q.status ? (counts.checks.fully_secured?.[q.status] ?? 0) : counts.users;
  }
  return n;
}

/** `kind` decides how the page and its count are run, not what they answer (lists/page-total.server.ts). */
export async function listPostureUsers(db: Db, scanId: number, q: PostureListQuery, scan: PostureScan | undefined, kind: Database["kind"]): Promise<{ rows: PostureUserRow[]; total: number }> {
  const where = whereOf(scanId, q);
  const known = totalFromSummary(scan, q);
  const order = { user: postureUsers.userId, devices: postureUsers.devices, unverified: postureUsers.unverifiedDevices, stale: postureUsers.staleDevices }[q.sort];
  // Ties break on the user id in the same direction, so the (scan, column, user) index is read in one direction
  // instead of sorting every row of the largest tie (about half the scan when sorting by session count).
  const dir = q.dir === "desc" ? desc : asc;
  const page = () => db.select().from(postureUsers).where(where).orderBy(dir(order), dir(postureUsers.userId)).limit(q.pageSize).offset((q.page - 1) * q.pageSize);
  if (known !== null) return { rows: await page(), total: known };
  // A substring search reads every row of the scan, and so does its count.
  const count = () => db.select({ total: sql<number>`count(*)::int` }).from(postureUsers).where(where).then(([r]) => Number(r.total));
  return pageAndTotal(kind, { offset: (q.page - 1) * q.pageSize, pageSize: q.pageSize }, page, count);
}

/**
 * The counts on the report's action buttons for this filter: users a nudge would go to, users with an unverified
 * session, users with a stale one (deactivated accounts left out of all three). An unfiltered scope adds up the
 * scan's summary; any other filter is one pass over its rows (at 100,000 users the two separate counts this replaces
 * took ~90 ms of the security page's load).
 */
export async function filterActionCounts(db: Db, scan: PostureScan, f: PostureFilter): Promise<{ nudgeable: number; unverified: number; stale: number }> {
  const cats = scan.summary?.categories;
  const plain = !f.q && !f.check && !f.status && !f.stale && f.moreThan === undefined;
  if (plain && cats) {
    const names = ["active", ...f.include].filter((n) => cats[n]);
    if (names.every((n) => cats[n].actions)) {
      const sum = { nudgeable: 0, unverified: 0, stale: 0 };
      for (const n of names) {
        const a = cats[n].actions!;
        sum.nudgeable += a.nudgeable;
        sum.unverified += a.unverified;
        sum.stale += a.stale;
      }
      return sum;
    }
  }
  const [r] = await db
    .select({
      nudgeable: sql<number>`count(*) filter (where ${postureUsers.fullySecured} = 'missing')::int`,
      unverified: sql<number>`count(*) filter (where ${postureUsers.unverifiedDevices} > 0)::int`,
      stale: sql<number>`count(*) filter (where ${postureUsers.staleDevices} > 0)::int`,
    })
    .from(postureUsers)
    .where(and(whereOf(scan.id, f), ne(postureUsers.category, "deactivated")));
  return { nudgeable: Number(r.nudgeable), unverified: Number(r.unverified), stale: Number(r.stale) };
}

/**
 * Who a nudge can go to: users missing at least one check (the overall verdict is "missing") and not
 * deactivated. Fully secured users, users whose verdict is only unknown, and deactivated users are left out.
 */
function nudgeableWhere(): SQL {
  return and(eq(postureUsers.fullySecured, "missing"), ne(postureUsers.category, "deactivated"))!;
}

/** Every user id matching the filter (for "nudge everyone in this filter"), in user-id order. */
export async function userIdsForFilter(db: Db, scanId: number, f: PostureFilter, limit = 100_000, opts: { nudgeable?: boolean } = {}): Promise<string[]> {
  const where = opts.nudgeable ? and(whereOf(scanId, f), nudgeableWhere())! : whereOf(scanId, f);
  const rows = await db.select({ u: postureUsers.userId }).from(postureUsers).where(where).orderBy(asc(postureUsers.userId)).limit(limit);
  return rows.map((r) => r.u);
}

/** The selected users as the latest scan knows them: name, and whether a nudge can go to them (see above). */
export async function nudgeCandidates(db: Db, scanId: number, userIds: string[]): Promise<Array<{ userId: string; displayname: string | null; nudgeable: boolean; reason: string | null }>> {
  if (!userIds.length) return [];
  const rows = await db
    .select({ u: postureUsers.userId, name: postureUsers.displayname, verdict: postureUsers.fullySecured, category: postureUsers.category })
    .from(postureUsers)
    .where(and(eq(postureUsers.scanId, scanId), inArray(postureUsers.userId, userIds)));
  const byId = new Map(rows.map((r) => [r.u, r]));
  return userIds.map((userId) => {
    const r = byId.get(userId);
    if (!r) return { userId, displayname: null, nudgeable: false, reason: "not in the latest scan" };
    if (r.category === "deactivated") return { userId, displayname: r.name, nudgeable: false, reason: "deactivated" };
    if (r.verdict === "ok") return { userId, displayname: r.name, nudgeable: false, reason: "fully secured" };
    if (r.verdict !== "missing") return { userId, displayname: r.name, nudgeable: false, reason: "nothing known to be missing" };
    return { userId, displayname: r.name, nudgeable: true, reason: null };
  });
}

/** Keyset-paged batches of the filtered rows, for streaming exports without holding them all. */
export async function* exportBatches(db: Db, scanId: number, f: PostureFilter, batch = 1000): AsyncGenerator<PostureUserRow[]> {
  let after = "";
  for (;;) {
    const rows = await db
      .select()
      .from(postureUsers)
      .where(and(whereOf(scanId, f), gt(postureUsers.userId, after)))
      .orderBy(asc(postureUsers.userId))
      .limit(batch);
    if (!rows.length) return;
    yield rows;
    after = rows[rows.length - 1].userId;
    if (rows.length < batch) return;
  }
}

export interface HistoryPoint {
  at: string;
  users: number;
  fullySecured: number;
  crossSigning: number;
  recovery: number;
  keyBackup: number;
}

const pct = (n: number, of: number) => (of ? Math.round((n / of) * 1000) / 10 : 0);

/** Share of (default-scope) users with each check ok, per complete scan, oldest first. */
export async function postureHistory(db: Db, limit = 120): Promise<HistoryPoint[]> {
  const scans = await db
    .select({ finishedAt: postureScans.finishedAt, summary: postureScans.summary })
    .from(postureScans)
    .where(eq(postureScans.status, "complete"))
    .orderBy(desc(postureScans.finishedAt))
    .limit(limit);
  return scans
    .filter((s) => s.summary && s.finishedAt)
    .reverse()
    .map((s) => {
      const scope = s.summary!.scoped ?? s.summary!;
      const ok = (c: string) => pct(scope.checks[c]?.ok ?? 0, scope.users);
      return {
        at: s.finishedAt!.toISOString(),
        users: scope.users,
        fullySecured: ok("fully_secured"),
        crossSigning: ok("cross_signing"),
        recovery: ok("recovery"),
        keyBackup: ok("key_backup"),
      };
    });
}

/** One user's posture in the latest complete scan, plus their verdict history. */
export async function userPosture(db: Db, userId: string): Promise<{ row: PostureUserRow | null; scan: PostureScan | null; history: Array<{ at: string; fullySecured: string }> }> {
  const scan = await latestCompleteScan(db);
  if (!scan) return { row: null, scan: null, history: [] };
  const [row] = await db.select().from(postureUsers).where(and(eq(postureUsers.scanId, scan.id), eq(postureUsers.userId, userId))).limit(1);
  const history = await db
    .select({ at: postureUsers.scannedAt, fullySecured: postureUsers.fullySecured })
    .from(postureUsers)
    .innerJoin(postureScans, eq(postureScans.id, postureUsers.scanId))
    .where(and(eq(postureUsers.userId, userId), eq(postureScans.status, "complete")))
    .orderBy(desc(postureUsers.scanId))
    .limit(30);
  return { row: row ?? null, scan, history: history.map((h) => ({ at: h.at.toISOString(), fullySecured: h.fullySecured })) };
}

/** Everything the /security page reads, in one place (the route and the benchmark both call it). */
export async function postureReportData(db: Db, query: PostureListQuery, kind: Database["kind"]) {
  const [scan, running, history] = await Promise.all([latestCompleteScan(db), runningScan(db), postureHistory(db)]);
  const [counts, list] = scan ? await Promise.all([scopeCounts(db, scan, query.include), listPostureUsers(db, scan.id, query, scan, kind)]) : [null, { rows: [], total: 0 }];
  return { scan, running, history, counts, list };
}

/** The user page's posture panel: the latest verdict, its recent history and the latest nudges (JSON-safe). */
export async function userPosturePanel(db: Db, userId: string) {
  const { row, scan, history } = await userPosture(db, userId);
  if (!scan) return null;
  const nudges = await nudgesOf(db, userId);
  return {
    scanAt: scan.finishedAt!.toISOString(),
    keyQueryLimited: scan.keyQueryLimited,
    staleDays: scan.staleDays,
    row: row ? { ...row, scannedAt: row.scannedAt.toISOString() } : null,
    history,
    nudges: nudges.map((n) => ({ at: (n.sentAt ?? n.createdAt).toISOString(), actor: n.actor, status: n.status, error: n.error })),
  };
}

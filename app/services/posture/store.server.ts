/**
 * Persistence of posture scans: start or resume a scan, write one page of per-user verdicts together with the
 * scan's cursor (one transaction, so a crash never leaves rows without the cursor that covers them, or the
 * reverse), and finish it with the summary the chart and /metrics read.
 */
import { and, desc, eq, lt, sql } from "drizzle-orm";
import { isEmbedded, type Db } from "../../../db/client";
import { postureScans, postureUsers, type PostureSummary } from "../../../db/schema";
import type { BackupSource, CheckStatus, PostureVerdict } from "./classify.server";
import { CHECKS } from "./classify.server";

export type PostureScanRow = typeof postureScans.$inferSelect;

export interface ScanStart {
  scan: PostureScanRow;
  resumed: boolean;
}

/**
 * Continues the newest unfinished scan if it is recent and was made with the same settings; otherwise marks
 * unfinished scans abandoned and starts a new one. Callers hold the collector lock, so there is no race.
 */
export async function startOrResumeScan(
  db: Db,
  o: { now: Date; backupSource: BackupSource; staleDays: number; resumeWithinMs: number },
): Promise<ScanStart> {
  const [open] = await db
    .select()
    .from(postureScans)
    .where(eq(postureScans.status, "running"))
    .orderBy(desc(postureScans.startedAt))
    .limit(1);
  if (
    open &&
    o.now.getTime() - open.updatedAt.getTime() <= o.resumeWithinMs &&
    open.backupSource === o.backupSource &&
    open.staleDays === o.staleDays
  ) {
    const [scan] = await db
      .update(postureScans)
      .set({ runs: sql`${postureScans.runs} + 1`, updatedAt: o.now })
      .where(eq(postureScans.id, open.id))
      .returning();
    return { scan, resumed: true };
  }
  await db.update(postureScans).set({ status: "abandoned", finishedAt: o.now }).where(eq(postureScans.status, "running"));
  const [scan] = await db
    .insert(postureScans)
    .values({ startedAt: o.now, updatedAt: o.now, status: "running", cursor: "0", backupSource: o.backupSource, staleDays: o.staleDays })
    .returning();
  return { scan, resumed: false };
}

const UPDATABLE = [
  "displayname", "category", "admin", "cross_signing", "recovery", "key_backup", "no_unverified_sessions", "fully_secured",
  "backup_source", "backup_version", "backup_key_count", "devices", "cross_signed_devices", "unverified_devices",
  "no_key_devices", "stale_devices", "device_list", "notes", "search_text",
] as const;

/** The recordset columns of a page: every verdict field, by its column name and SQL type. */
const PAGE_COLUMNS = [
  ["user_id", "text", "userId"], ["displayname", "text", "displayname"], ["category", "text", "category"], ["admin", "boolean", "admin"],
  ["cross_signing", "text", "crossSigning"], ["recovery", "text", "recovery"], ["key_backup", "text", "keyBackup"],
  ["no_unverified_sessions", "text", "noUnverifiedSessions"], ["fully_secured", "text", "fullySecured"],
  ["backup_source", "text", "backupSource"], ["backup_version", "text", "backupVersion"], ["backup_key_count", "integer", "backupKeyCount"],
  ["devices", "integer", "devices"], ["cross_signed_devices", "integer", "crossSignedDevices"], ["unverified_devices", "integer", "unverifiedDevices"],
  ["no_key_devices", "integer", "noKeyDevices"], ["stale_devices", "integer", "staleDevices"], ["device_list", "jsonb", "deviceList"],
  ["notes", "jsonb", "notes"], ["search_text", "text", "searchText"],
] as const;

/**
 * The page's rows travel as ONE jsonb parameter, an array of positional arrays (no key names: a third of the bytes of
 * an array of objects, which PostgreSQL would also have to look every column up in), unpacked with `->`/`->>`.
 * JSON null in a jsonb column is stored as SQL NULL, as before.
 */
const PAGE_UPSERT = (() => {
  const names = PAGE_COLUMNS.map(([c]) => c).join(", ");
  const values = PAGE_COLUMNS.map(([, t], i) => (t === "jsonb" ? `nullif(e->${i}, 'null'::jsonb)` : t === "text" ? `e->>${i}` : `(e->>${i})::${t}`)).join(", ");
  const set = [...UPDATABLE, "scanned_at"].map((c) => `${c} = excluded.${c}`).join(", ");
  return {
    head: `insert into posture_users (scan_id, ${names}, scanned_at) select `,
    body: `, ${values}, `,
    from: ` from jsonb_array_elements(`,
    tail: `::jsonb) as e on conflict (scan_id, user_id) do update set ${set}`,
  };
})();

/**
 * Homeserver text (values and keys) may hold U+0000, which PostgreSQL cannot store in text or jsonb: it is dropped.
 * In JSON text a NUL is the escape \u0000 after an even run of backslashes (an odd run is a literal "\u0000").
 */
const withoutNul = (json: string) => (json.includes("\\u0000") ? json.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, "$1") : json);

/**
 * Rows per statement of a page write (one transaction for the page either way). On PGlite the write runs on the
 * scanner's own thread and the event loop runs between statements (one statement for a whole page held every
 * in-flight homeserver answer back for its whole length); a PostgreSQL server gets the page in one statement, which
 * saved a third of the write's CPU on both sides at 100,000 users.
 */
export const WRITE_CHUNK_ROWS = { embedded: 50, server: 1000 } as const;

/**
 * Writes a page of verdicts (upsert: a resumed scan may redo the page it died in) and moves the cursor.
 * Building a 200-row, 20-column insert with one bound parameter per value cost more CPU in the query builder than
 * the rest of the write, hence the single jsonb parameter (PAGE_UPSERT).
 */
export async function writePage(
  db: Db,
  scanId: number,
  verdicts: PostureVerdict[],
  o: { cursor: string | null; usersScanned: number; totalUsers: number | null; requests: number; keyQueryLimited: boolean; now: Date },
): Promise<void> {
  const chunk = isEmbedded(db) ? WRITE_CHUNK_ROWS.embedded : WRITE_CHUNK_ROWS.server;
  await db.transaction(async (tx) => {
    for (let from = 0; from < verdicts.length; from += chunk) {
      if (from > 0) await new Promise((resolve) => setImmediate(resolve));
      const rows = verdicts
        .slice(from, from + chunk)
        .map((v) => PAGE_COLUMNS.map(([, , field]) => (field === "searchText" ? `${v.userId}\n${v.displayname ?? ""}`.toLowerCase() : v[field])));
      const u = PAGE_UPSERT;
      await tx.execute(
        sql`${sql.raw(u.head)}${scanId}::bigint${sql.raw(u.body)}${o.now.toISOString()}::timestamptz${sql.raw(u.from)}${withoutNul(JSON.stringify(rows))}${sql.raw(u.tail)}`,
      );
    }
    await tx
      .update(postureScans)
      .set({
        cursor: o.cursor,
        usersScanned: o.usersScanned,
        totalUsers: o.totalUsers,
        requests: sql`${postureScans.requests} + ${o.requests}`,
        keyQueryLimited: sql`${postureScans.keyQueryLimited} or ${o.keyQueryLimited}`,
        updatedAt: o.now,
      })
      .where(eq(postureScans.id, scanId));
  });
}

type Counts = Record<string, Record<CheckStatus, number>>;
const emptyCounts = (): Counts => Object.fromEntries(CHECKS.map((c) => [c, { ok: 0, missing: 0, unknown: 0 }]));

/** Counts per check and status over the whole scan, and over the default scope (active users). */
export async function summarizeScan(db: Db, scanId: number): Promise<PostureSummary> {
  const hasStale = sql<boolean>`${postureUsers.staleDevices} > 0`;
  const hasUnverified = sql<boolean>`${postureUsers.unverifiedDevices} > 0`;
  const rows = await db
    .select({
      category: postureUsers.category,
      cross_signing: postureUsers.crossSigning,
      recovery: postureUsers.recovery,
      key_backup: postureUsers.keyBackup,
      no_unverified_sessions: postureUsers.noUnverifiedSessions,
      fully_secured: postureUsers.fullySecured,
      stale: hasStale,
      unverified: hasUnverified,
      n: sql<number>`count(*)::int`,
    })
    .from(postureUsers)
    .where(eq(postureUsers.scanId, scanId))
    .groupBy(
      postureUsers.category,
      postureUsers.crossSigning,
      postureUsers.recovery,
      postureUsers.keyBackup,
      postureUsers.noUnverifiedSessions,
      postureUsers.fullySecured,
      hasStale,
      hasUnverified,
    );
  const all = emptyCounts();
  const categories: NonNullable<PostureSummary["categories"]> = {};
  let users = 0;
  for (const r of rows) {
    const n = Number(r.n);
    users += n;
    const cat = (categories[r.category] ??= { users: 0, checks: emptyCounts(), stale: { users: 0, checks: emptyCounts() }, actions: { nudgeable: 0, unverified: 0, stale: 0 } });
    cat.users += n;
    // What the report's action buttons count for an unfiltered scope (report.server.ts#filterActionCounts).
    if (r.category !== "deactivated") {
      if (r.fully_secured === "missing") cat.actions!.nudgeable += n;
      if (r.unverified) cat.actions!.unverified += n;
      if (r.stale) cat.actions!.stale += n;
    }
    // The users with a stale session are counted apart too: "stale sessions" is the report's most used filter
    // that no index answers, and its count would read every row of the scan.
    const stale = r.stale ? cat.stale : undefined;
    if (stale) stale.users += n;
    for (const c of CHECKS) {
      const status = r[c] as CheckStatus;
      all[c][status] += n;
      cat.checks[c][status] += n;
      if (stale) stale.checks[c][status] += n;
    }
  }
  return { users, checks: all, scoped: categories.active ?? { users: 0, checks: emptyCounts() }, categories };
}

/** Marks the scan complete with its summary; drops per-user rows of scans older than `keepRowsDays` (summaries stay). */
/** `backupSource`: what the scan really used, when it differs from what it started with (login-as turned out absent). */
export async function finishScan(db: Db, scanId: number, o: { now: Date; notes: string[]; keepRowsDays?: number; backupSource?: string }): Promise<PostureSummary> {
  const summary = await summarizeScan(db, scanId);
  await db
    .update(postureScans)
    .set({ status: "complete", finishedAt: o.now, cursor: null, summary, notes: o.notes.length ? o.notes : null, updatedAt: o.now, ...(o.backupSource ? { backupSource: o.backupSource } : {}) })
    .where(eq(postureScans.id, scanId));
  const cutoff = new Date(o.now.getTime() - (o.keepRowsDays ?? 90) * 86_400_000);
  await db
    .delete(postureUsers)
    .where(
      and(
        lt(postureUsers.scanId, scanId),
        sql`${postureUsers.scanId} in (select id from posture_scans where finished_at < ${cutoff.toISOString()}::timestamptz)`,
      ),
    );
  return summary;
}

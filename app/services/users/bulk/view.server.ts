/** A bulk job as its progress page shows it: counts per outcome and a page of its items (failures first). */
import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../../../../db/client";
import { userBulkItems, userBulkJobs } from "../../../../db/schema";
import { bulkJobHeading, ITEM_STATUS_TEXT, JOB_STATUS_TEXT, type BulkKind } from "./kinds";

export async function bulkJobView(db: Db, jobId: number, o: { page: number; pageSize: number; show: "all" | "failed" | "skipped" | "done" | "waiting" }) {
  const [job] = await db.select().from(userBulkJobs).where(eq(userBulkJobs.id, jobId));
  if (!job) return null;
  const counted = await db
    .select({ status: userBulkItems.status, n: sql<number>`count(*)::int`, users: sql<number>`count(distinct ${userBulkItems.userId})::int` })
    .from(userBulkItems)
    .where(eq(userBulkItems.jobId, jobId))
    .groupBy(userBulkItems.status);
  const counts = { pending: 0, acting: 0, done: 0, skipped: 0, failed: 0 } as Record<string, number>;
  for (const c of counted) counts[c.status] = Number(c.n);
  const [{ users }] = await db.select({ users: sql<number>`count(distinct ${userBulkItems.userId})::int` }).from(userBulkItems).where(eq(userBulkItems.jobId, jobId));
  const statusWhere =
    o.show === "all" ? undefined : o.show === "waiting" ? sql`${userBulkItems.status} in ('pending', 'acting')` : eq(userBulkItems.status, o.show);
  const where = and(eq(userBulkItems.jobId, jobId), statusWhere);
  const [{ total }] = await db.select({ total: sql<number>`count(*)::int` }).from(userBulkItems).where(where);
  const rows = await db
    .select()
    .from(userBulkItems)
    .where(where)
    .orderBy(asc(userBulkItems.userId), asc(userBulkItems.deviceId))
    .limit(o.pageSize)
    .offset((o.page - 1) * o.pageSize);
  return {
    job,
    users: Number(users),
    counts,
    total: Number(total),
    rows: rows.map((r) => ({
      userId: r.userId,
      deviceId: r.deviceId,
      deviceName: r.deviceName,
      lastSeenTs: r.lastSeenTs,
      lastSeenIp: r.lastSeenIp,
      state: ITEM_STATUS_TEXT[r.status] ?? r.status,
      reason: r.reason,
    })),
  };
}

/** Queues a stopped job again (its items not done are still waiting); false when the job is not stopped. */
export async function resumeBulkJob(db: Db, jobId: number, now: Date): Promise<boolean> {
  const rows = await db
    .update(userBulkJobs)
    .set({ status: "queued", error: null, finishedAt: null, updatedAt: now })
    .where(and(eq(userBulkJobs.id, jobId), eq(userBulkJobs.status, "stopped")))
    .returning({ id: userBulkJobs.id });
  return rows.length > 0;
}

/** Every bulk job, newest first, a page at a time: what it is, who confirmed it, where it stands. */
export async function listBulkJobs(db: Db, o: { page: number; pageSize: number }) {
  const [{ total }] = await db.select({ total: sql<number>`count(*)::int` }).from(userBulkJobs);
  const jobs = await db
    .select()
    .from(userBulkJobs)
    .orderBy(desc(userBulkJobs.id))
    .limit(o.pageSize)
    .offset((o.page - 1) * o.pageSize);
  const ids = jobs.map((j) => j.id);
  // Per job: items handled (done, left alone, failed) and the distinct users, for the heading and the progress.
  const counted = ids.length
    ? await db
        .select({
          jobId: userBulkItems.jobId,
          handled: sql<number>`count(*) filter (where ${userBulkItems.status} in ('done', 'skipped', 'failed'))::int`,
          failed: sql<number>`count(*) filter (where ${userBulkItems.status} = 'failed')::int`,
          users: sql<number>`count(distinct ${userBulkItems.userId})::int`,
        })
        .from(userBulkItems)
        .where(inArray(userBulkItems.jobId, ids))
        .groupBy(userBulkItems.jobId)
    : [];
  const byJob = new Map(counted.map((c) => [Number(c.jobId), c]));
  return {
    total: Number(total),
    jobs: jobs.map((j) => {
      const c = byJob.get(j.id);
      return {
        id: j.id,
        heading: bulkJobHeading(j.kind as BulkKind, { users: Number(c?.users ?? 0), days: j.days }),
        actor: j.actor,
        createdAt: j.createdAt.toISOString(),
        finishedAt: j.finishedAt?.toISOString() ?? null,
        status: j.status,
        statusText: JOB_STATUS_TEXT[j.status] ?? j.status,
        error: j.error,
        handled: Number(c?.handled ?? 0),
        failed: Number(c?.failed ?? 0),
        total: j.total,
        noun: j.kind === "deactivate" ? "accounts" : "sessions",
      };
    }),
  };
}

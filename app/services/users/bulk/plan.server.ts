/**
 * What a bulk job will act on, worked out from the security report's current filter (the latest complete scan), and
 * the job written with every item before anything happens: the stored items are the preview the admin confirmed.
 */
import { and, asc, eq, inArray } from "drizzle-orm";
import type { Db } from "../../../../db/client";
import { postureUsers, userBulkItems, userBulkJobs } from "../../../../db/schema";
import { latestCompleteScan, userIdsForFilter, type PostureFilter } from "../../posture/report.server";
import type { BulkKind } from "./kinds";

const DAY_MS = 86_400_000;
const READ_CHUNK = 1000;
/** The most users one job takes (a larger filter is refused with the advice to narrow it). */
export const MAX_BULK_USERS = 50_000;

export interface PlanItem {
  userId: string;
  /** "" for an account-level item (deactivation). */
  deviceId: string;
  deviceName: string | null;
  lastSeenTs: number | null;
  lastSeenIp: string | null;
}

export interface SignOutPlan {
  scanId: number | null;
  items: PlanItem[];
  users: number;
  /** Steward's own session, left out of the plan (named on the preview), or null. */
  ownSessionLeftOut: boolean;
}

/**
 * The sessions a sign-out job would end: per user of the filter (deactivated accounts have none), the devices the
 * latest scan found unverified, or unseen for more than `days` days at `now`. Steward's own session is never in it.
 */
export async function planSignOut(
  db: Db,
  o: { kind: "sign-out-unverified" | "sign-out-stale"; filter: PostureFilter; days: number; now: number; actor: { userId: string; deviceId: string | null } },
): Promise<SignOutPlan> {
  const scan = await latestCompleteScan(db);
  if (!scan) return { scanId: null, items: [], users: 0, ownSessionLeftOut: false };
  const ids = await userIdsForFilter(db, scan.id, o.filter, MAX_BULK_USERS + 1);
  const items: PlanItem[] = [];
  const users = new Set<string>();
  let ownSessionLeftOut = false;
  const cutoff = o.now - o.days * DAY_MS;
  for (let i = 0; i < ids.length; i += READ_CHUNK) {
    const rows = await db
      .select({ userId: postureUsers.userId, category: postureUsers.category, deviceList: postureUsers.deviceList })
      .from(postureUsers)
      .where(and(eq(postureUsers.scanId, scan.id), inArray(postureUsers.userId, ids.slice(i, i + READ_CHUNK))))
      .orderBy(asc(postureUsers.userId));
    for (const r of rows) {
      if (r.category === "deactivated") continue;
      for (const d of r.deviceList ?? []) {
        const wanted = o.kind === "sign-out-unverified" ? d.state === "unverified" : d.lastSeenTs !== null && d.lastSeenTs < cutoff;
        if (!wanted) continue;
        if (r.userId === o.actor.userId && d.id === o.actor.deviceId) {
          ownSessionLeftOut = true;
          continue;
        }
        users.add(r.userId);
        items.push({ userId: r.userId, deviceId: d.id, deviceName: d.name, lastSeenTs: d.lastSeenTs, lastSeenIp: d.ip ?? null });
      }
    }
  }
  return { scanId: scan.id, items, users: users.size, ownSessionLeftOut };
}

/** The job a confirmation form already started, if any (a replayed form is told so before anything else). */
export async function jobOfForm(db: Db, formId: string): Promise<number | null> {
  const [existing] = await db.select({ id: userBulkJobs.id }).from(userBulkJobs).where(eq(userBulkJobs.formId, formId)).limit(1);
  return existing?.id ?? null;
}

export const REPLAYED = "This confirmation was already submitted; nothing was started twice. The job it started is linked here.";

export type CreateJobResult = { ok: true; jobId: number } | { ok: false; jobId: number | null; error: string };

/**
 * Writes the job and all its items in one transaction (a job is never half-written). The form id is unique: the
 * same confirmation posted twice creates one job, and the second post is told so.
 */
export async function createBulkJob(
  db: Db,
  o: { kind: BulkKind; actor: string; formId: string; days: number | null; filterText: string; items: PlanItem[]; now: Date },
): Promise<CreateJobResult> {
  const existing = await jobOfForm(db, o.formId);
  if (existing !== null) return { ok: false, jobId: existing, error: REPLAYED };
  if (!o.items.length) return { ok: false, jobId: null, error: "There is nothing to do for this filter." };
  return db.transaction(async (tx) => {
    const [job] = await tx
      .insert(userBulkJobs)
      .values({ kind: o.kind, actor: o.actor, formId: o.formId, days: o.days, filterText: o.filterText, status: "queued", total: o.items.length, createdAt: o.now, updatedAt: o.now })
      .onConflictDoNothing({ target: userBulkJobs.formId })
      .returning({ id: userBulkJobs.id });
    if (!job) return { ok: false as const, jobId: await jobOfForm(db, o.formId), error: REPLAYED };
    for (let i = 0; i < o.items.length; i += READ_CHUNK) {
      await tx.insert(userBulkItems).values(o.items.slice(i, i + READ_CHUNK).map((it) => ({ jobId: job.id, ...it, status: "pending" })));
    }
    return { ok: true as const, jobId: job.id };
  });
}

type Refusal = { ok: false; status: 400 | 409; error: string; jobId?: number | null };

/** A confirmation's one-time form id: well formed, and not used yet (a replay is told so before any planning). */
export async function confirmationFormId(db: Db, form: FormData): Promise<{ ok: true; formId: string } | Refusal> {
  const formId = String(form.get("formId") ?? "");
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(formId)) return { ok: false, status: 400, error: "This form is incomplete; open the preview again." };
  const started = await jobOfForm(db, formId);
  return started === null ? { ok: true, formId } : { ok: false, status: 409, error: REPLAYED, jobId: started };
}

/**
 * The last step of every bulk confirmation: the list, worked out again from the page's address, must still have the
 * count the admin confirmed (`expected` on the form); then the job is stored.
 */
export async function startConfirmedJob(
  db: Db,
  form: FormData,
  o: Omit<Parameters<typeof createBulkJob>[1], "now"> & { noun: "sessions" | "accounts"; why?: string },
): Promise<{ ok: true; jobId: number } | Refusal> {
  const expected = Number(form.get("expected"));
  const now = o.items.length;
  if (expected !== now) {
    const counts = `${expected.toLocaleString("en")} ${o.noun} then, ${now.toLocaleString("en")} now${o.why ? `, ${o.why}` : ""}`;
    return { ok: false, status: 409, error: `The list changed since you opened it (${counts}). Nothing was started: review the list below and confirm again.` };
  }
  const r = await createBulkJob(db, { kind: o.kind, actor: o.actor, formId: o.formId, days: o.days, filterText: o.filterText, items: o.items, now: new Date() });
  return r.ok ? r : { ok: false, status: 409, error: r.error, jobId: r.jobId };
}

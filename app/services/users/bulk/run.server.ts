/**
 * Runs bulk user jobs in the background, one at a time, under an advisory lock (the collector framework's
 * `Database.tryWithLock`), so two replicas never run a job twice.
 *
 * Never twice, never skipped: each item is marked "acting" before its homeserver call and "done" (with its audit
 * entry, in one transaction) after. A process killed in between leaves "acting" items; the resumed run lists the
 * user's devices first, and a device that is gone was signed out by the run that died (recorded done then, not
 * acted on again). Deleting a device is idempotent on Synapse, so even a repeat would change nothing.
 *
 * Each device is checked again before acting (still there, still unverified or still unseen): state may have
 * changed since the preview. A 403 (the acting account lost admin rights) stops the job with the reason; 5xx, 429,
 * timeouts are retried by the HTTP client and then here with a growing pause, before an item is recorded failed.
 */
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Database, Db } from "../../../../db/client";
import { auditEvents, homeserverUsers, userBulkItems, userBulkJobs } from "../../../../db/schema";
import type { Device, HomeserverClient } from "../../../homeserver";
import { describeHomeserverError, isHomeserverError } from "../../../homeserver/errors";
import type { Logger } from "../../observability/log.server";
import { classifyUser } from "../../posture/classify.server";
import { Limiter } from "../../posture/limiter.server";
import type { UserActionsBackend } from "../actions/backend";
import { bulkItemSentence, isBulkKind, type BulkKind } from "./kinds";
import { postureRowsOf, rechecked, resummarizeLatestScan, writePostureRows, type PostureRowUpdate } from "./posture.server";

const DAY_MS = 86_400_000;
const USERS_PER_ROUND = 200;
export const BULK_LOCK = "user-bulk-jobs";
/** Rows per statement when recording a round (large multi-row statements failed inside PGlite: "bad buffer ID"). */
const SETTLE_CHUNK = 50;

export interface BulkRunDeps {
  db: Db;
  database: Database;
  hs: HomeserverClient;
  backend: UserActionsBackend;
  now(): Date;
  concurrency: number;
  log?: Logger;
  signal?: AbortSignal;
  /** Pauses between retries of a failing user (ms); tests shorten them. */
  retryPausesMs?: number[];
}

type Item = typeof userBulkItems.$inferSelect;
type Job = typeof userBulkJobs.$inferSelect;

class StopJob extends Error {}

const isTransient = (e: unknown) => isHomeserverError(e, ["server_error", "timeout", "unreachable", "rate_limited"]);
const isFatal = (e: unknown) => isHomeserverError(e, ["forbidden", "unknown_token", "missing_token", "user_locked", "user_deactivated"]);

/** Runs every queued or interrupted job; returns "busy" when another process holds the lock. */
export async function runBulkJobs(deps: BulkRunDeps): Promise<"busy" | number> {
  const locked = await deps.database.tryWithLock(BULK_LOCK, async () => {
    let ran = 0;
    for (;;) {
      if (deps.signal?.aborted) return ran;
      const [job] = await deps.db.select().from(userBulkJobs).where(inArray(userBulkJobs.status, ["queued", "running"])).orderBy(asc(userBulkJobs.id)).limit(1);
      if (!job) return ran;
      await runJob(deps, job);
      ran++;
      if (deps.signal?.aborted) return ran;
    }
  });
  return locked.acquired ? locked.value : "busy";
}

async function runJob(deps: BulkRunDeps, job: Job): Promise<void> {
  const { db } = deps;
  const kind = job.kind as BulkKind;
  await db
    .update(userBulkJobs)
    .set({ status: "running", runs: sql`${userBulkJobs.runs} + 1`, startedAt: job.startedAt ?? deps.now(), updatedAt: deps.now() })
    .where(eq(userBulkJobs.id, job.id));
  const log = deps.log?.child({ bulkJob: job.id });
  const limiter = new Limiter(Math.max(1, deps.concurrency));
  try {
    if (!isBulkKind(kind)) throw new StopJob("Steward does not know this kind of job.");
    // Who Steward acts as: its own session is never signed out, and a token that is no longer valid stops here.
    const me = await deps.hs.auth.whoami();
    for (;;) {
      if (deps.signal?.aborted) return; // stays "running": the next run (any replica) resumes it
      const users = await db
        .selectDistinct({ userId: userBulkItems.userId })
        .from(userBulkItems)
        .where(and(eq(userBulkItems.jobId, job.id), inArray(userBulkItems.status, ["pending", "acting"])))
        .orderBy(asc(userBulkItems.userId))
        .limit(USERS_PER_ROUND);
      if (!users.length) break;
      const items = await db
        .select()
        .from(userBulkItems)
        .where(and(eq(userBulkItems.jobId, job.id), inArray(userBulkItems.status, ["pending", "acting"]), inArray(userBulkItems.userId, users.map((u) => u.userId))));
      const byUser = new Map<string, Item[]>();
      for (const it of items) byUser.set(it.userId, [...(byUser.get(it.userId) ?? []), it]);
      const posture = kind === "deactivate" ? null : await postureRowsOf(db, [...byUser.keys()]);
      const results = await Promise.allSettled(
        [...byUser].map(([userId, its]) => limiter.run(() => withRetries(deps, () => actOnUser(deps, job, kind, me, userId, its, posture)))),
      );
      // What the round did is recorded before a stop is: nothing done goes unrecorded (one write per kind of row).
      const done = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      await settle(deps, job, kind, done.flatMap((d) => d.outcomes));
      if (posture) await writePostureRows(db, posture.scanId, done.flatMap((d) => (d.posture ? [d.posture] : [])), deps.now());
      const stop = results.find((r) => r.status === "rejected");
      if (stop) throw (stop as PromiseRejectedResult).reason;
      await db.update(userBulkJobs).set({ updatedAt: deps.now() }).where(eq(userBulkJobs.id, job.id));
    }
    await db.update(userBulkJobs).set({ status: "done", finishedAt: deps.now(), updatedAt: deps.now(), error: null }).where(eq(userBulkJobs.id, job.id));
    log?.info("bulk job finished", { kind });
  } catch (e) {
    const error = e instanceof StopJob ? e.message : isHomeserverError(e) ? stopReason(e) : null;
    if (error === null) throw e; // a bug or the database: the job stays "running" and is resumed later
    // Whatever was about to be acted on and was not: back to waiting, so a restarted job does it (never skipped).
    await db.update(userBulkItems).set({ status: "pending" }).where(and(eq(userBulkItems.jobId, job.id), eq(userBulkItems.status, "acting")));
    await db.update(userBulkJobs).set({ status: "stopped", error, finishedAt: deps.now(), updatedAt: deps.now() }).where(eq(userBulkJobs.id, job.id));
    log?.warn("bulk job stopped", { error });
  } finally {
    limiter.close();
    // The report reflects what the job did at once (the users' rows were re-checked as it went).
    await resummarizeLatestScan(db).catch((e) => log?.warn("posture summary after bulk job", { error: (e as Error).message }));
  }
}

function stopReason(e: unknown): string {
  if (isHomeserverError(e, "forbidden")) {
    return `The homeserver refused: the account Steward acts with is no longer a server admin, or may not do this (${describeHomeserverError(e)}). The job stopped; what was done is listed below.`;
  }
  return `${describeHomeserverError(e)} The job stopped; what was done is listed below.`;
}

/** A user whose calls keep failing with a passing error is tried again after a growing pause, then recorded failed. */
async function withRetries<T>(deps: BulkRunDeps, fn: () => Promise<T>): Promise<T> {
  const pauses = deps.retryPausesMs ?? [2_000, 5_000, 15_000, 30_000];
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!isTransient(e) || i >= pauses.length || deps.signal?.aborted) throw e;
      await new Promise((r) => setTimeout(r, pauses[i]));
    }
  }
}

type Outcome = { item: Item; status: "done" | "skipped" | "failed"; reason: string | null };
type UserResult = { outcomes: Outcome[]; posture?: PostureRowUpdate };
type Posture = Awaited<ReturnType<typeof postureRowsOf>>;

async function actOnUser(deps: BulkRunDeps, job: Job, kind: BulkKind, me: { userId: string; deviceId?: string }, userId: string, items: Item[], posture: Posture): Promise<UserResult> {
  const { db, hs } = deps;
  try {
    if (kind === "deactivate") return { outcomes: [await deactivateOne(deps, job, me, items[0])] };
    // Re-check against the homeserver now: which of the listed sessions still exist and still qualify.
    const devices = (await hs.devices.list(userId)).devices;
    const present = new Map(devices.map((d) => [d.deviceId, d]));
    const stillUnverified = kind === "sign-out-unverified" ? await unverifiedNow(hs, userId, devices, deps.now()) : null;
    const cutoff = deps.now().getTime() - (job.days ?? 0) * DAY_MS;
    const outcomes: Outcome[] = [];
    const toAct: Item[] = [];
    for (const it of items) {
      const d = present.get(it.deviceId);
      if (!d) outcomes.push({ item: it, status: it.status === "acting" ? "done" : "skipped", reason: it.status === "acting" ? null : "Already signed out." });
      else if (userId === me.userId && it.deviceId === me.deviceId) outcomes.push({ item: it, status: "skipped", reason: "This is the session Steward itself uses." });
      else if (stillUnverified && !stillUnverified.visible) outcomes.push({ item: it, status: "skipped", reason: "Its verification could not be checked again: the homeserver left this user out of the key query." });
      else if (stillUnverified && !stillUnverified.ids.has(it.deviceId)) outcomes.push({ item: it, status: "skipped", reason: "No longer unverified." });
      else if (kind === "sign-out-stale" && (d.lastSeenTs === null || d.lastSeenTs >= cutoff)) outcomes.push({ item: it, status: "skipped", reason: "Used since the list was made." });
      else toAct.push(it);
    }
    if (toAct.length) {
      // Written ahead of the call: a process killed after it finds these "acting" and asks the homeserver again.
      await db.update(userBulkItems).set({ status: "acting" }).where(and(eq(userBulkItems.jobId, job.id), eq(userBulkItems.userId, userId), inArray(userBulkItems.deviceId, toAct.map((i) => i.deviceId))));
      await deps.backend.signOutDevices(userId, toAct.map((i) => i.deviceId));
      for (const it of toAct) outcomes.push({ item: it, status: "done", reason: null });
    }
    const gone = new Set(outcomes.filter((o) => o.status === "done").map((o) => o.item.deviceId));
    const row = posture?.rows.get(userId);
    const fresh = stillUnverified?.visible ? stillUnverified.ids : null;
    return { outcomes, posture: row ? rechecked(row, devices.filter((d) => !gone.has(d.deviceId)), fresh, deps.now(), posture!.staleDays) : undefined };
  } catch (e) {
    if (isTransient(e) || isFatal(e) || !isHomeserverError(e)) throw e;
    // Anything else the homeserver says about this user (unknown user, bad request): recorded, in words.
    return { outcomes: items.map((item) => ({ item, status: "failed" as const, reason: describeHomeserverError(e) })) };
  }
}

async function deactivateOne(deps: BulkRunDeps, job: Job, me: { userId: string }, it: Item): Promise<Outcome> {
  const u = await deps.hs.users.get(it.userId);
  let outcome: Outcome;
  if (u.deactivated) outcome = { item: it, status: it.status === "acting" ? "done" : "skipped", reason: it.status === "acting" ? null : "Already deactivated." };
  else if (u.admin || it.userId === me.userId) outcome = { item: it, status: "skipped", reason: "A server admin: left alone." };
  else {
    await deps.db.update(userBulkItems).set({ status: "acting" }).where(and(eq(userBulkItems.jobId, job.id), eq(userBulkItems.userId, it.userId)));
    await deps.backend.deactivate(it.userId, { erase: false });
    // Steward's copy of the user list shows it at once (the next collection would too, later).
    await deps.db.update(homeserverUsers).set({ deactivated: true }).where(eq(homeserverUsers.userId, it.userId));
    outcome = { item: it, status: "done", reason: null };
  }
  return outcome;
}

/**
 * Records the outcomes of a round with their audit entries, in one transaction (an outcome never exists without
 * its entry): one update per kind of outcome, one insert for the entries.
 */
async function settle(deps: BulkRunDeps, job: Job, kind: BulkKind, outcomes: Outcome[]): Promise<void> {
  if (!outcomes.length) return;
  const at = deps.now();
  await deps.db.transaction(async (tx) => {
    const groups = new Map<string, Outcome[]>();
    for (const o of outcomes) {
      const key = `${o.status}\u0000${o.reason ?? ""}`;
      groups.set(key, [...(groups.get(key) ?? []), o]);
    }
    for (const same of groups.values()) {
      for (let i = 0; i < same.length; i += SETTLE_CHUNK) {
        const pairs = same.slice(i, i + SETTLE_CHUNK).map((o) => sql`(${o.item.userId}, ${o.item.deviceId})`);
        await tx
          .update(userBulkItems)
          .set({ status: same[0].status, reason: same[0].reason, actedAt: at })
          .where(and(eq(userBulkItems.jobId, job.id), sql`(${userBulkItems.userId}, ${userBulkItems.deviceId}) in (${sql.join(pairs, sql`, `)})`));
      }
    }
    const audited = outcomes.filter((o) => o.status !== "skipped");
    for (let i = 0; i < audited.length; i += SETTLE_CHUNK) {
      await tx.insert(auditEvents).values(
        audited.slice(i, i + SETTLE_CHUNK).map((o) => ({
          at,
          actor: job.actor,
          action: `user.bulk.${kind}`,
          target: o.item.userId,
          outcome: o.status === "done" ? "ok" : "error",
          detail: {
            jobId: job.id,
            ...(o.item.deviceId ? { deviceId: o.item.deviceId } : {}),
            backend: deps.backend.kind,
            summary: bulkItemSentence(kind, o.item.userId, o.item.deviceId, job.id),
            ...(o.reason ? { error: o.reason } : {}),
          },
        })),
      );
    }
  });
}

/**
 * The user's sessions that are unverified right now (fresh key query, the scan's own classification); `visible`
 * false when the key query left the user out (msc4263), so nothing can be said and nothing is signed out.
 */
async function unverifiedNow(hs: HomeserverClient, userId: string, devices: Device[], now: Date): Promise<{ visible: boolean; ids: Set<string> }> {
  const keys = await hs.keys.query([userId]);
  const visible = userId in keys.deviceKeys;
  const verdict = classifyUser(
    {
      user: { userId, displayname: null, userType: null, deactivated: false, admin: false },
      keys: visible
        ? { visible: true, master: keys.masterKeys[userId], selfSigning: keys.selfSigningKeys[userId], deviceKeys: keys.deviceKeys[userId] ?? {} }
        : { visible: false, reason: "left out of the key query", deviceKeys: {} },
      devices,
      accountData: {},
      backupSource: "account_data",
    },
    { now: now.getTime(), staleDays: 36500 },
  );
  return { visible, ids: new Set(verdict.deviceList.filter((d) => d.state === "unverified").map((d) => d.id)) };
}

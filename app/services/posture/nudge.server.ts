/**
 * Nudging users to secure their accounts with a server notice.
 *
 * Crash safety: each (batch, user) gets a deterministic txnId, and the intent row (status "pending", with that
 * txnId) is written BEFORE the PUT. A retried batch — the admin resubmits the same form after a crash or a
 * timeout — finds the row and sends again under the same txnId, which Synapse answers with the original event id
 * instead of a second notice (its transaction cache is per admin device and lasts 30 minutes; a row already
 * marked "sent" is never sent again at all). A user nudged within the cooldown (default 7 days) is skipped.
 */
import crypto from "node:crypto";
import { and, desc, eq, gt, inArray, ne } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { postureNudges } from "../../../db/schema";
import type { HomeserverClient } from "../../homeserver";
import { describeHomeserverError, isHomeserverError } from "../../homeserver/errors";
import { recordAudit } from "../audit/events.server";
import { Limiter } from "./limiter.server";

export interface NudgeTemplate {
  id: string;
  title: string;
  body: string;
}

export const PLACEHOLDERS = ["user_id", "admin_contact"] as const;

export const DEFAULT_TEMPLATES: NudgeTemplate[] = [
  {
    id: "secure-backup",
    title: "Set up your Security Key and Secure Backup",
    body: [
      "Hello {user_id},",
      "",
      "Your messages here are end-to-end encrypted: only your own devices hold the keys to read them. If you lose or sign out of all your devices before you have set up the two things below, your encrypted history is gone for good — nobody, not even the server admin, can bring it back.",
      "",
      "It takes two minutes in Element:",
      "1. Open Settings → Security & Privacy (called Encryption in newer versions) and choose \"Set up\" next to Secure Backup or Recovery.",
      "2. Element creates your Security Key (a recovery key). Save it somewhere safe, such as a password manager. You can also protect it with a passphrase.",
      "3. Make sure Secure Backup (key backup) is switched on on the same page, so your message keys are stored, encrypted, on the server.",
      "Then open Settings → Sessions and verify your other devices, so they trust each other.",
      "",
      "Questions? Contact {admin_contact}.",
    ].join("\n"),
  },
  {
    id: "unverified-sessions",
    title: "Check your unverified sessions",
    body: [
      "Hello {user_id},",
      "",
      "Your account has sessions (devices) that are not verified. A session you do not recognise could be someone else reading your messages, and unverified sessions of your own show warnings to the people you talk to.",
      "",
      "In Element, open Settings → Sessions. Verify each session you use (with another signed-in device or your Security Key), and sign out every session you do not recognise or no longer use.",
      "",
      "Questions? Contact {admin_contact}.",
    ].join("\n"),
  },
];

export const MAX_BODY = 4000;

/** Problems with a template, for the field's error message; empty when it is usable. */
export function templateProblems(body: string): string[] {
  const problems: string[] = [];
  if (!body.trim()) problems.push("The message is empty.");
  if (body.length > MAX_BODY) problems.push(`The message is longer than ${MAX_BODY} characters.`);
  const unknown = [...body.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]).filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown.length) problems.push(`Unknown placeholder${unknown.length > 1 ? "s" : ""}: ${[...new Set(unknown)].map((p) => `{${p}}`).join(", ")}. Use {user_id} or {admin_contact}.`);
  return problems;
}

export function renderNudge(body: string, v: { userId: string; adminContact?: string }): string {
  return body.replace(/\{user_id\}/g, v.userId).replace(/\{admin_contact\}/g, v.adminContact || "your server admin");
}

/** The same (batch, user) always maps to the same txnId. Only [A-Za-z0-9-] so it is safe in a path. */
export function nudgeTxnId(batchId: string, userId: string): string {
  const h = crypto.createHash("sha256").update(`${batchId}\u0000${userId}`).digest("hex").slice(0, 32);
  return `steward-nudge-${h}`;
}

export const newBatchId = () => crypto.randomBytes(12).toString("base64url");

export interface NudgeRequest {
  batchId: string;
  actor: string;
  userIds: string[];
  body: string;
  templateId?: string;
  adminContact?: string;
  now: Date;
  concurrency?: number;
  cooldownDays?: number;
  requestId?: string;
}

export type NudgeResult =
  | { userId: string; status: "sent"; eventId: string; repeated: boolean }
  | { userId: string; status: "skipped"; reason: string }
  | { userId: string; status: "failed"; error: string };

export interface NudgeOutcome {
  results: NudgeResult[];
  sent: number;
  failed: number;
  skipped: number;
  /** Set when the homeserver refuses every notice (server notices not configured). */
  fatal?: string;
}

export const NOT_CONFIGURED =
  "Server notices are not configured on the homeserver. Add a server_notices section to homeserver.yaml (see Synapse's server notices docs), restart Synapse, and try again.";

/** Users (of `userIds`) nudged successfully within the cooldown, by someone else's batch. */
export async function recentlyNudged(db: Db, userIds: string[], since: Date, exceptBatch?: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < userIds.length; i += 1000) {
    const chunk = userIds.slice(i, i + 1000);
    const rows = await db
      .select({ u: postureNudges.userId })
      .from(postureNudges)
      .where(
        and(
          inArray(postureNudges.userId, chunk),
          eq(postureNudges.status, "sent"),
          gt(postureNudges.sentAt, since),
          exceptBatch ? ne(postureNudges.batchId, exceptBatch) : undefined,
        ),
      );
    for (const r of rows) out.add(r.u);
  }
  return out;
}

export async function sendNudges(db: Db, hs: HomeserverClient, req: NudgeRequest): Promise<NudgeOutcome> {
  const since = new Date(req.now.getTime() - (req.cooldownDays ?? 7) * 86_400_000);
  const recent = await recentlyNudged(db, req.userIds, since, req.batchId);
  const results: NudgeResult[] = [];
  const todo: Array<typeof postureNudges.$inferSelect> = [];
  for (const userId of req.userIds) {
    if (recent.has(userId)) {
      results.push({ userId, status: "skipped", reason: `already nudged in the last ${req.cooldownDays ?? 7} days` });
      continue;
    }
    const txnId = nudgeTxnId(req.batchId, userId);
    // The intent is recorded before anything is sent; a retry finds this row and keeps its txnId and message.
    await db
      .insert(postureNudges)
      .values({
        batchId: req.batchId,
        userId,
        txnId,
        actor: req.actor,
        body: renderNudge(req.body, { userId, adminContact: req.adminContact }),
        templateId: req.templateId ?? null,
        status: "pending",
        createdAt: req.now,
      })
      .onConflictDoNothing({ target: postureNudges.txnId });
    const [row] = await db.select().from(postureNudges).where(eq(postureNudges.txnId, txnId));
    if (row.status === "sent") results.push({ userId, status: "sent", eventId: row.eventId ?? "", repeated: true });
    else todo.push(row);
  }

  let fatal: string | undefined;
  const sendOne = async (row: (typeof todo)[number]): Promise<NudgeResult> => {
    if (fatal) {
      await db.update(postureNudges).set({ status: "failed", error: fatal }).where(eq(postureNudges.id, row.id));
      return { userId: row.userId, status: "failed", error: fatal };
    }
    try {
      const { eventId } = await hs.notices.send(row.userId, { msgtype: "m.text", body: row.body }, row.txnId);
      await db.update(postureNudges).set({ status: "sent", eventId, sentAt: req.now, error: null }).where(eq(postureNudges.id, row.id));
      return { userId: row.userId, status: "sent", eventId, repeated: false };
    } catch (e) {
      // Anything but a homeserver answer (a bug, the database) propagates: the row stays "pending" for a retry.
      if (!isHomeserverError(e) || isHomeserverError(e, ["unknown_token", "missing_token"])) throw e;
      // Our users are all local, so a plain 400 here means notices are off on the homeserver.
      const notConfigured = isHomeserverError(e, "bad_request");
      const error = notConfigured ? NOT_CONFIGURED : describeHomeserverError(e);
      if (notConfigured) fatal = NOT_CONFIGURED;
      await db.update(postureNudges).set({ status: "failed", error }).where(eq(postureNudges.id, row.id));
      return { userId: row.userId, status: "failed", error };
    }
  };
  // The first one alone: if notices are not configured we learn it from one request, not from hundreds.
  if (todo.length) results.push(await sendOne(todo[0]));
  const limiter = new Limiter(req.concurrency ?? 4);
  results.push(...(await Promise.all(todo.slice(1).map((row) => limiter.run(() => sendOne(row))))));

  const count = (s: NudgeResult["status"]) => results.filter((r) => r.status === s).length;
  const outcome: NudgeOutcome = { results, sent: count("sent"), failed: count("failed"), skipped: count("skipped"), ...(fatal ? { fatal } : {}) };
  await recordAudit(db, {
    actor: req.actor,
    action: "posture.nudge",
    target: req.userIds.length === 1 ? req.userIds[0] : `${req.userIds.length} users`,
    outcome: fatal || outcome.failed ? "error" : "ok",
    detail: { batchId: req.batchId, templateId: req.templateId ?? null, sent: outcome.sent, failed: outcome.failed, skipped: outcome.skipped, ...(fatal ? { error: fatal } : {}) },
    requestId: req.requestId,
    at: req.now,
  });
  return outcome;
}

/** The latest nudges of one user (for the posture panel). */
export async function nudgesOf(db: Db, userId: string, limit = 5) {
  return db.select().from(postureNudges).where(eq(postureNudges.userId, userId)).orderBy(desc(postureNudges.createdAt)).limit(limit);
}

/**
 * The write-ahead journal of token issues (decision 009): before Steward asks the homeserver for a token, the
 * token's record and a `pending` audit entry are written; afterwards both are settled together. A process killed
 * in between leaves a pending pair, which `repairPendingIssues` settles from what the homeserver has — at start-up,
 * whenever tokens are listed or collected, and before the next issue.
 *
 * Settling is guarded (the record by its audit id, the audit entry by `outcome = 'pending'`), so the action and a
 * repair on another replica can race without double entries: whoever settles first wins.
 */
import { and, eq, isNotNull, isNull } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { registrationTokenRecords } from "../../../db/schema";
import type { HomeserverClient, RegistrationToken } from "../../homeserver";
import { isHomeserverError } from "../../homeserver/errors";
import { beginAudit, recordAudit, settleAudit } from "../audit/events.server";

type TokenRecord = typeof registrationTokenRecords.$inferSelect;

/**
 * How old a pending issue must be before a repair settles it. Longer than any issue can take: the create is sent
 * once (never retried on a timeout or 5xx), but may wait out a few 429s of up to 30 s each.
 */
export const ISSUE_GRACE_MS = 3 * 60_000;

export interface IssueIntent {
  token: string;
  actor: string;
  issuedFor: string | null;
  note: string | null;
  usesAllowed: number | null;
  expiryTime: number | null;
  /** Steward generated the text (the admin left it empty). */
  generated: boolean;
  requestId?: string;
  /** The one-time id of the issue form (remembered on the record). */
  formId?: string;
}

export interface PendingIssue {
  token: string;
  auditId: number;
}

const counters = (t: RegistrationToken) => ({ usesAllowed: t.usesAllowed, pending: t.pending, completed: t.completed, expiryTime: t.expiryTime });

/**
 * Writes the record (pending, with the requested uses and expiry) and the pending audit entry, in one transaction.
 * Any earlier record of the same text is replaced (the caller has just seen that the homeserver has no such token),
 * except another issue of it still pending: then null, and nothing is written.
 */
export async function writeAhead(db: Db, intent: IssueIntent, now: Date): Promise<PendingIssue | null> {
  try {
    return await db.transaction(async (tx) => {
      const auditId = await beginAudit(tx, {
        at: now,
        actor: intent.actor,
        action: "token.create",
        target: intent.token,
        detail: { issuedFor: intent.issuedFor, usesAllowed: intent.usesAllowed, expiryTime: intent.expiryTime, generated: intent.generated },
        requestId: intent.requestId,
      });
      const record = {
        token: intent.token, origin: "steward", issuedBy: intent.actor, issuedFor: intent.issuedFor, note: intent.note, createdAt: now,
        adoptedBy: null, adoptedAt: null, revokedAt: null, revokedBy: null, usesAllowed: intent.usesAllowed, pending: 0, completed: 0,
        expiryTime: intent.expiryTime, syncedAt: null, issuePendingSince: now, issueAuditId: auditId, issueFormId: intent.formId ?? null,
      };
      const rows = await tx
        .insert(registrationTokenRecords)
        .values(record)
        .onConflictDoUpdate({ target: registrationTokenRecords.token, set: record, setWhere: isNull(registrationTokenRecords.issuePendingSince) })
        .returning({ token: registrationTokenRecords.token });
      if (!rows.length) throw new IssueInProgress();
      return { token: intent.token, auditId };
    });
  } catch (e) {
    if (e instanceof IssueInProgress) return null;
    throw e;
  }
}

class IssueInProgress extends Error {}

/** The token already issued from this form, if any (pending or settled). */
export async function issuedFromForm(db: Db, formId: string): Promise<TokenRecord | undefined> {
  const [rec] = await db.select().from(registrationTokenRecords).where(eq(registrationTokenRecords.issueFormId, formId)).limit(1);
  return rec;
}

/**
 * The homeserver has the token: the record becomes an ordinary one with the homeserver's counters, the audit entry
 * `ok` (+ `patch`). If a repair got there first (the issue outlived the grace period and was settled as
 * interrupted), the homeserver's answer still wins: the record is written again and a second, `ok` entry says so.
 */
export async function settleIssued(db: Db, p: PendingIssue, created: RegistrationToken, now: Date, patch: Record<string, unknown> = {}, intent?: IssueIntent): Promise<TokenRecord | undefined> {
  return db.transaction(async (tx) => {
    const confirmed = { ...counters(created), syncedAt: now, issuePendingSince: null, issueAuditId: null };
    let [rec] = await tx
      .update(registrationTokenRecords)
      .set(confirmed)
      .where(and(eq(registrationTokenRecords.token, p.token), eq(registrationTokenRecords.issueAuditId, p.auditId)))
      .returning();
    if (!rec && intent) {
      const fresh = {
        token: p.token, origin: "steward", issuedBy: intent.actor, issuedFor: intent.issuedFor, note: intent.note, createdAt: now,
        adoptedBy: null, adoptedAt: null, revokedAt: null, revokedBy: null, ...confirmed,
      };
      [rec] = await tx.insert(registrationTokenRecords).values(fresh).onConflictDoUpdate({ target: registrationTokenRecords.token, set: fresh }).returning();
    }
    if (!(await settleAudit(tx, p.auditId, "ok", patch)) && intent) {
      await recordAudit(tx, {
        actor: intent.actor, action: "token.create", target: p.token, outcome: "ok", at: now, requestId: intent.requestId,
        detail: { issuedFor: intent.issuedFor, usesAllowed: intent.usesAllowed, expiryTime: intent.expiryTime, ...patch, settledLate: true, pendingAuditId: p.auditId },
      });
    }
    return rec;
  });
}

/** The homeserver did not create it (or it is not ours): the pending record goes, the audit entry says why. */
export async function settleFailed(db: Db, p: PendingIssue, outcome: "error" | "refused", patch: Record<string, unknown>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(registrationTokenRecords).where(and(eq(registrationTokenRecords.token, p.token), eq(registrationTokenRecords.issueAuditId, p.auditId)));
    await settleAudit(tx, p.auditId, outcome, patch);
  });
}

/**
 * Ours only if it is what Steward asked for. The text was checked absent on the homeserver just before the write-
 * ahead, so a token found now was created after it; differing uses or expiry mean someone else made it.
 */
export function isOurToken(rec: Pick<TokenRecord, "usesAllowed" | "expiryTime">, t: RegistrationToken): boolean {
  return rec.usesAllowed === t.usesAllowed && rec.expiryTime === t.expiryTime;
}

export interface RepairResult {
  recovered: string[];
  interrupted: string[];
  /** Pending but younger than the grace period (an issue may still be in flight). */
  waiting: number;
  /** The homeserver could not say; left pending for the next repair. */
  unknown: number;
}

export interface RepairDeps {
  db: Db;
  hs: HomeserverClient;
  now?: () => Date;
  /** The homeserver's token list when the caller has just read it (no extra requests then). */
  live?: RegistrationToken[];
}

/**
 * Settles issues left pending for longer than the grace period: token on the homeserver (as asked) → record
 * confirmed, audit `ok` with `recovered: true`; absent → record removed, audit `error` with `interrupted: true`;
 * present but not as asked → not ours: record removed, audit `error` (the token then lists as created outside).
 * A homeserver that cannot answer leaves the entry for next time. Never throws for the homeserver's sake.
 */
export async function repairPendingIssues(deps: RepairDeps): Promise<RepairResult> {
  const now = deps.now ? deps.now() : new Date();
  const result: RepairResult = { recovered: [], interrupted: [], waiting: 0, unknown: 0 };
  const pending = await deps.db.select().from(registrationTokenRecords).where(isNotNull(registrationTokenRecords.issuePendingSince));
  if (!pending.length) return result;
  const live = deps.live ? new Map(deps.live.map((t) => [t.token, t])) : null;
  for (const rec of pending) {
    if (rec.issuePendingSince!.getTime() > now.getTime() - ISSUE_GRACE_MS || rec.issueAuditId === null) {
      result.waiting++;
      continue;
    }
    let found: RegistrationToken | null;
    if (live) found = live.get(rec.token) ?? null;
    else {
      try {
        found = await deps.hs.tokens.get(rec.token);
      } catch (e) {
        if (!isHomeserverError(e, "not_found")) {
          result.unknown++;
          continue;
        }
        found = null;
      }
    }
    const p = { token: rec.token, auditId: rec.issueAuditId };
    if (found && isOurToken(rec, found)) {
      await settleIssued(deps.db, p, found, now, { recovered: true });
      result.recovered.push(rec.token);
    } else {
      await settleFailed(deps.db, p, "error", {
        interrupted: true,
        error: found
          ? "Steward stopped before the homeserver confirmed the token; a token with this text exists but with other uses or expiry, so it is not taken as this issue."
          : "Steward stopped before the homeserver confirmed the token, and the homeserver has no such token: it was not created.",
      });
      result.interrupted.push(rec.token);
    }
  }
  return result;
}

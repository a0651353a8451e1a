/** The audit log: every mutating action and every sign-in attempt, newest first. */
import { and, count, desc, eq, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { auditEvents } from "../../../db/schema";

/** "pending": written before an action reaches the homeserver, settled to one of the others (beginAudit/settleAudit). */
export type AuditOutcome = "ok" | "error" | "refused" | "pending";

export interface AuditEntry {
  actor: string;
  action: string;
  target?: string | null;
  outcome: AuditOutcome;
  detail?: Record<string, unknown>;
  requestId?: string;
  at?: Date;
}

export async function recordAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db.insert(auditEvents).values({
    at: entry.at ?? new Date(),
    actor: entry.actor,
    action: entry.action,
    target: entry.target ?? null,
    outcome: entry.outcome,
    detail: entry.detail ?? null,
    requestId: entry.requestId ?? null,
  });
}

/** A `pending` entry written ahead of an action (see decision 009); returns its id for settleAudit. */
export async function beginAudit(db: Db, entry: Omit<AuditEntry, "outcome">): Promise<number> {
  const [row] = await db
    .insert(auditEvents)
    .values({
      at: entry.at ?? new Date(),
      actor: entry.actor,
      action: entry.action,
      target: entry.target ?? null,
      outcome: "pending",
      detail: entry.detail ?? null,
      requestId: entry.requestId ?? null,
    })
    .returning({ id: auditEvents.id });
  return row.id;
}

/**
 * Settles a pending entry in place (its detail gains `patch`). Only a still-pending entry changes, so whoever
 * settles first wins — the action itself or a repair on another replica — and a second settle returns false.
 */
export async function settleAudit(db: Db, id: number, outcome: Exclude<AuditOutcome, "pending">, patch: Record<string, unknown> = {}): Promise<boolean> {
  const rows = await db
    .update(auditEvents)
    .set({ outcome, detail: sql`coalesce(${auditEvents.detail}, '{}'::jsonb) || ${JSON.stringify(patch)}::jsonb` })
    .where(and(eq(auditEvents.id, id), eq(auditEvents.outcome, "pending")))
    .returning({ id: auditEvents.id });
  return rows.length > 0;
}

export interface AuditPageQuery {
  page: number;
  pageSize: number;
  action?: string;
  actor?: string;
}

export async function listAudit(db: Db, q: AuditPageQuery) {
  const filters: SQL[] = [];
  if (q.action) filters.push(eq(auditEvents.action, q.action));
  if (q.actor) filters.push(eq(auditEvents.actor, q.actor));
  const where = filters.length ? and(...filters) : undefined;
  const [rows, [{ total }]] = await Promise.all([
    db
      .select()
      .from(auditEvents)
      .where(where)
      .orderBy(desc(auditEvents.at), desc(auditEvents.id))
      .limit(q.pageSize)
      .offset((q.page - 1) * q.pageSize),
    db.select({ total: count() }).from(auditEvents).where(where),
  ]);
  return { rows, total: Number(total), page: q.page, pageSize: q.pageSize };
}

/** The actions present in the log (for the filter's select, beside the known ones). */
export async function auditActions(db: Db): Promise<string[]> {
  const rows = await db.selectDistinct({ action: auditEvents.action }).from(auditEvents);
  return rows.map((r) => r.action).sort();
}

/** The audit log: every mutating action and every sign-in attempt, newest first. */
import { and, count, desc, eq, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import { auditEvents } from "../../db/schema";

export type AuditOutcome = "ok" | "error" | "refused";

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

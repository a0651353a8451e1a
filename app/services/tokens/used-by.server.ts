/**
 * Who used a token (issue 14 item 1). Synapse counts registrations per token but does not record who made them;
 * Steward knows the accounts created through its own /register page (audited as `register.complete`, target = the
 * token). Registrations made elsewhere (a client with the token typed in) are counted by Synapse but stay unnamed.
 */
import { and, eq, gte, inArray } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { auditEvents } from "../../../db/schema";

export interface UsedBy {
  /** Accounts created through Steward's /register with this token, oldest first. */
  named: { userId: string; at: number }[];
  /** Completed registrations Synapse counts beyond the named ones: made outside Steward. */
  outside: number;
}

/** Only registrations since `since` count: a token text can be issued again after the old one was revoked. */
export async function tokenUsedBy(db: Db, token: string, since: number, completed: number): Promise<UsedBy> {
  const rows = await db
    .select({ actor: auditEvents.actor, at: auditEvents.at })
    .from(auditEvents)
    .where(and(eq(auditEvents.action, "register.complete"), eq(auditEvents.outcome, "ok"), eq(auditEvents.target, token), gte(auditEvents.at, new Date(since))))
    .orderBy(auditEvents.at);
  const named = rows.map((r) => ({ userId: r.actor, at: r.at.getTime() }));
  return { named, outside: Math.max(0, completed - named.length) };
}

/** The number of named registrations per token, for a page of the token list. */
export async function usedByCounts(db: Db, tokens: { token: string; createdAt: number }[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  if (!tokens.length) return counts;
  const since = new Map(tokens.map((t) => [t.token, t.createdAt]));
  const rows = await db
    .select({ target: auditEvents.target, at: auditEvents.at })
    .from(auditEvents)
    .where(and(eq(auditEvents.action, "register.complete"), eq(auditEvents.outcome, "ok"), inArray(auditEvents.target, [...since.keys()])));
  for (const r of rows) {
    const from = r.target === null ? undefined : since.get(r.target);
    if (from !== undefined && r.at.getTime() >= from) counts[r.target!] = (counts[r.target!] ?? 0) + 1;
  }
  return counts;
}

/**
 * Token counters over time: the "tokens" collector reads every token, reconciles Steward's records and keeps one
 * snapshot per token per day (the day's latest reading), so a token's registrations can be charted.
 */
import { and, asc, eq, gte, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { registrationTokenSnapshots } from "../../../db/schema";
import type { RegistrationToken } from "../../homeserver";
import { isHomeserverError } from "../../homeserver/errors";
import type { CollectorDefinition } from "../collectors/framework.server";
import { reconcileTokenRecords } from "./tokens.server";
import { repairPendingIssues } from "./issue-journal.server";

/** The UTC calendar day of a moment, as PostgreSQL's `date` text. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

export async function snapshotTokenCounters(db: Db, tokens: RegistrationToken[], at: Date): Promise<void> {
  if (!tokens.length) return;
  const day = utcDay(at);
  const rows = tokens.map((t) => ({ token: t.token, day, completed: t.completed, pending: t.pending, usesAllowed: t.usesAllowed, takenAt: at }));
  await db
    .insert(registrationTokenSnapshots)
    .values(rows)
    .onConflictDoUpdate({
      target: [registrationTokenSnapshots.token, registrationTokenSnapshots.day],
      set: {
        completed: sql`excluded.completed`,
        pending: sql`excluded.pending`,
        usesAllowed: sql`excluded.uses_allowed`,
        takenAt: sql`excluded.taken_at`,
      },
    });
}

export interface TokenDayPoint {
  day: string;
  completed: number;
  pending: number;
}

/** A token's daily readings, oldest first, for the last `days` days. */
export async function tokenHistory(db: Db, token: string, now: Date, days = 90): Promise<TokenDayPoint[]> {
  const since = utcDay(new Date(now.getTime() - days * 86_400_000));
  return db
    .select({ day: registrationTokenSnapshots.day, completed: registrationTokenSnapshots.completed, pending: registrationTokenSnapshots.pending })
    .from(registrationTokenSnapshots)
    .where(and(eq(registrationTokenSnapshots.token, token), gte(registrationTokenSnapshots.day, since)))
    .orderBy(asc(registrationTokenSnapshots.day));
}

export const tokensCollector: CollectorDefinition = {
  name: "tokens",
  title: "Registration tokens",
  defaultIntervalSeconds: 3600,
  async run(ctx) {
    let tokens: RegistrationToken[];
    try {
      tokens = await ctx.hs.tokens.list();
    } catch (e) {
      // Under MAS the API is not mounted: nothing to snapshot, and nothing wrong with the collector.
      if (isHomeserverError(e, "unrecognized")) return { items: 0, summary: "registration-token API not available on this homeserver" };
      throw e;
    }
    const now = ctx.now();
    // Issues a killed process left pending are settled from this list first (decision 009).
    await repairPendingIssues({ db: ctx.db, hs: ctx.hs, now: () => now, live: tokens });
    await reconcileTokenRecords(ctx.db, tokens, now);
    await snapshotTokenCounters(ctx.db, tokens, now);
    await ctx.progress(tokens.length, tokens.length);
    const completed = tokens.reduce((n, t) => n + t.completed, 0);
    return { items: tokens.length, total: tokens.length, summary: `${tokens.length} tokens, ${completed} registrations in all` };
  },
};

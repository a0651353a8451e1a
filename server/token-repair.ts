/**
 * Start-up work: settle token issues a killed process left pending (decision 009), with the collectors' admin
 * token. Issues younger than the grace period may still be in flight on another replica, so a second pass runs
 * once they are old enough. Listing tokens, the tokens collector and the next issue repair too; this pass makes
 * sure the audit log is complete even if nobody looks at the tokens for a while.
 */
import { isNotNull } from "drizzle-orm";
import type { StewardContext } from "../app/context.server";
import { registrationTokenRecords } from "../db/schema";
import { collectorToken } from "../app/services/collectors/token.server";
import { ISSUE_GRACE_MS, repairPendingIssues, type RepairResult } from "../app/services/tokens/issue-journal.server";

export async function repairTokenIssues(ctx: StewardContext, now = new Date()): Promise<RepairResult | null> {
  // The usual case, nothing pending, costs one query on a small table and no homeserver request.
  const [any] = await ctx.db.select({ token: registrationTokenRecords.token }).from(registrationTokenRecords).where(isNotNull(registrationTokenRecords.issuePendingSince)).limit(1);
  if (!any) return { recovered: [], interrupted: [], waiting: 0, unknown: 0 };
  const token = await collectorToken(ctx.db, ctx.config, now);
  if (!token.ok) return null;
  const hs = ctx.homeserver(token.homeserverUrl, token.accessToken);
  return repairPendingIssues({ db: ctx.db, hs, now: () => now });
}

/** Runs the repair now and, if some issues were too young, once more after the grace period. Returns a stop function. */
export function startTokenRepair(ctx: StewardContext): () => Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const pass = (again: boolean) => {
    running = repairTokenIssues(ctx)
      .then((r) => {
        if (r && (r.recovered.length || r.interrupted.length)) ctx.log.info("token issues repaired", { recovered: r.recovered.length, interrupted: r.interrupted.length });
        if (r && again && !stopped && (r.waiting || r.unknown)) {
          timer = setTimeout(() => pass(false), ISSUE_GRACE_MS + 1_000);
          timer.unref();
        }
      })
      .catch((e) => ctx.log.warn("token issue repair", { error: (e as Error).message }));
  };
  pass(true);
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running;
  };
}

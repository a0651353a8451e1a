/**
 * The "user-counts" collector: one pass over the homeserver's whole user list (every account: deactivated,
 * locked and, where the server allows, guests), counting as it goes and storing each page in Steward's copy of
 * the list; then a snapshot of the counts. Every 15 minutes by default (COLLECT_USER_COUNTS_SECONDS).
 */
import type { CollectorDefinition, CollectorRunContext } from "../collectors/framework.server";
import { isHomeserverError, pages, type ListUsersParams, type UserListPage } from "../../homeserver";
import { bulkUserPages } from "../../homeserver/users-bulk";
import { backfillDailyFromCreation, storeSnapshot, UserTally, unavailableCounts, type ServerFacts } from "./counts.server";
import { removeUsersNotSeenIn, upsertUsers } from "./stored.server";

/**
 * Users per request: 20 round trips for 100,000 users, ~2 MB each (Synapse sets no upper limit on this list; it
 * is one indexed query with an offset).
 */
export const USER_PAGE_SIZE = 5000;

/**
 * Every account, including the ones Synapse hides by default: locked users (`locked=true`), deactivated users
 * (v3 with no `deactivated` filter; the client turns that into v2's `deactivated=true` on older servers) and
 * guests (`guests=true`, unless the server refuses it). Ordered by creation time, which is indexed and stable
 * while new accounts arrive (they append at the end instead of shifting the offsets of earlier pages).
 */
function listParams(guests: boolean): Pick<ListUsersParams, "guests" | "locked" | "orderBy" | "dir"> {
  return { guests, locked: true, orderBy: "creation_ts", dir: "f" };
}

async function serverVersion(ctx: CollectorRunContext): Promise<string | null> {
  try {
    return (await ctx.hs.server.serverVersion()).serverVersion;
  } catch (e) {
    ctx.log.warn("user-counts: server version unavailable, assuming a current Synapse", { error: (e as Error).message });
    return null;
  }
}

/** Whether the list accepts guests=true: servers delegating sign-in to MAS answer 400 M_INVALID_PARAM. */
async function guestsListable(ctx: CollectorRunContext): Promise<boolean> {
  try {
    await ctx.hs.users.list({ ...listParams(true), limit: 1 });
    return true;
  } catch (e) {
    if (isHomeserverError(e, "invalid_param")) return false;
    throw e;
  }
}

export async function collectUserCounts(ctx: CollectorRunContext) {
  const now = ctx.now();
  const facts: ServerFacts = { version: await serverVersion(ctx), guestsListable: await guestsListable(ctx) };
  const tally = new UserTally(now.getTime(), unavailableCounts(facts));
  const params = listParams(facts.guestsListable);
  let lastTotal = 0;
  // The bulk reader parses pages without zod (10–20 s saved over 100,000 users); same endpoint and semantics.
  const bulk = bulkUserPages(ctx.hs.http);
  const fetchPage = (from: string | number, limit: number): Promise<UserListPage> => bulk(params, from, limit);
  for await (const page of pages(fetchPage, (p) => p.users, { limit: USER_PAGE_SIZE })) {
    if (ctx.signal.aborted) throw new Error("Stopped because Steward is shutting down; the next run starts over.");
    const fresh = page.users.filter((u) => tally.add(u));
    await upsertUsers(ctx.db, fresh, ctx.runId);
    lastTotal = page.total;
    await ctx.progress(tally.size, page.total);
  }
  // The pass saw every page, so anyone it did not see is gone from the server.
  const removed = await removeUsersNotSeenIn(ctx.db, ctx.runId);
  const counts = tally.result();
  // First count ever: rebuild "Accounts over time" for the days before it, so a new installation shows growth.
  // Needs creation times (Synapse 1.40+); the function itself refuses once any daily row exists.
  const rebuilt = counts.unavailable.created1d ? 0 : await backfillDailyFromCreation(ctx.db, tally.registrationsPerDay, now.toISOString().slice(0, 10));
  if (rebuilt) ctx.log.info("user-counts: accounts over time rebuilt from creation times", { days: rebuilt });
  await storeSnapshot(ctx.db, {
    counts,
    takenAt: now,
    runId: ctx.runId,
    serverVersion: facts.version,
    registrationsPerDay: tally.registrationsPerDay,
  });
  if (tally.size !== lastTotal) {
    // The list changed while we paged through it; the next run will catch up.
    ctx.log.info("user-counts: list changed during the pass", { seen: tally.size, total: lastTotal });
  }
  const active = counts.active30d === null ? "" : `, ${counts.active30d} active in 30 d`;
  return {
    items: tally.size,
    total: lastTotal,
    summary: `${counts.total} accounts${active}, ${counts.created7d ?? "?"} new this week, ${counts.deactivated} deactivated${removed ? `, ${removed} no longer listed` : ""}`,
  };
}

export const userCountsCollector: CollectorDefinition = {
  name: "user-counts",
  title: "User counts",
  defaultIntervalSeconds: 15 * 60,
  run: collectUserCounts,
};

/**
 * The "user-counts" collector: one pass over the homeserver's whole user list (every account: deactivated,
 * locked and, where the server allows, guests), counting as it goes and storing each page in Steward's copy of
 * the list; then a snapshot of the counts. Every 15 minutes by default (COLLECT_USER_COUNTS_SECONDS).
 */
import type { CollectorDefinition, CollectorRunContext } from "../collectors/framework.server";
import { isHomeserverError, pages, readAhead, type ListUsersParams, type UserListPage } from "../../homeserver";
import { bulkUserPages } from "../../homeserver/users-bulk";
import { backfillDailyFromCreation, parseVersion, storeSnapshot, UserTally, unavailableCounts, type ServerFacts } from "./counts.server";
import { masLockedUsernames } from "../../homeserver/mas/locked-users";
import { isMasAdminError } from "../../homeserver/mas/admin-http";
import { detectAuthMode } from "../auth/mode.server";
import { removeUsersNotIn, upsertUsers } from "./stored.server";
import { tidyAfterUsersRewrite } from "../../../db/search-index";
import { isEmbedded } from "../../../db/client";

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

type MasLocks = { usernames: Set<string> } | { unavailable: string } | null;

/**
 * Under MAS the lock is MAS's (mas-api.md §3.2, §5.2): Synapse stores it in its list's `locked` only from 1.150, and
 * only once MAS's queued job ran, so before 1.150 every account locked in MAS would be listed, stored and counted as
 * not locked. One pass over MAS's locked accounts (a page of 100 per request) fixes that on every version. Null on
 * classic Synapse. When MAS cannot be read, Synapse ≥ 1.150's column is kept (it is MAS's lock, maybe a moment late);
 * before 1.150 the count is marked unknown with the reason instead of showing a wrong 0.
 */
async function masLocks(ctx: CollectorRunContext, version: string | null): Promise<MasLocks> {
  const mode = await detectAuthMode(ctx.hs, ctx.config.homeserverAuth, { cacheKey: ctx.config.homeserverUrl });
  if (mode.mode !== "mas") return null;
  const v = parseVersion(version);
  const synapseStoresLocks = !v || v[0] > 1 || (v[0] === 1 && v[1] >= 150);
  const token = ctx.hs.http.bearerToken();
  let why: string;
  if (!mode.mas || !token) why = mode.problem ?? "the homeserver did not say where its authentication service is";
  else {
    try {
      return { usernames: await masLockedUsernames({ baseUrl: mode.mas.adminApiBase, accessToken: token, timeoutMs: ctx.config.homeserverTimeoutMs }) };
    } catch (e) {
      if (!isMasAdminError(e)) throw e;
      why = e.message;
    }
  }
  ctx.log.warn("user-counts: locked accounts could not be read from the authentication service", { error: why });
  if (synapseStoresLocks) return null;
  return { unavailable: `Not known: Synapse ${version} does not store locks made in the authentication service (1.150 and later do), and MAS's admin API could not be read. ${why}` };
}

const localpartOf = (userId: string) => userId.slice(1, userId.indexOf(":") > 0 ? userId.indexOf(":") : undefined);

export async function collectUserCounts(ctx: CollectorRunContext) {
  const now = ctx.now();
  const facts: ServerFacts = { version: await serverVersion(ctx), guestsListable: await guestsListable(ctx) };
  // Only a delegating Synapse refuses guests=true, so a classic server costs no extra request here.
  const locks = facts.guestsListable ? null : await masLocks(ctx, facts.version);
  const unavailable = unavailableCounts(facts);
  if (locks && "unavailable" in locks) unavailable.locked = locks.unavailable;
  const lockedInMas = locks && "usernames" in locks ? locks.usernames : null;
  const tally = new UserTally(now.getTime(), unavailable);
  const params = listParams(facts.guestsListable);
  let lastTotal = 0;
  // The bulk reader parses pages without zod (10–20 s saved over 100,000 users); same endpoint and semantics.
  const bulk = bulkUserPages(ctx.hs.http);
  const fetchPage = (from: string | number, limit: number): Promise<UserListPage> => bulk(params, from, limit);
  // Storing a page overlaps the homeserver's answer for the next (issue 18's "Refresh now" within 5 s at 100,000 users).
  for await (const page of readAhead(pages(fetchPage, (p) => p.users, { limit: USER_PAGE_SIZE }))) {
    if (ctx.signal.aborted) throw new Error("Stopped because Steward is shutting down; the next run starts over.");
    // MAS's lock joins Synapse's column (an account locked either way is locked; appservice users exist only in Synapse).
    const users = lockedInMas ? page.users.map((u) => (!u.locked && lockedInMas.has(localpartOf(u.userId)) ? { ...u, locked: true } : u)) : page.users;
    const fresh = users.filter((u) => tally.add(u));
    await upsertUsers(ctx.db, fresh, ctx.runId);
    lastTotal = page.total;
    await ctx.progress(tally.size, page.total);
  }
  // The pass saw every page, so anyone it did not see is gone from the server.
  const removed = await removeUsersNotIn(ctx.db, tally.userIds());
  const untidy = await tidyAfterUsersRewrite(ctx.db, isEmbedded(ctx.db));
  if (untidy) ctx.log.warn("user-counts: the search index could not be tidied after the rewrite; searches may be slower", { error: untidy });
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

/**
 * Federation status as the pages and /metrics read it: counts per state, the destinations table (filter,
 * search, sort, paging), the chart history, one destination with its timeline, and "reset connection".
 * Pages read Steward's database (fast, works while the homeserver is down); states are computed for *now*
 * from the stored retry fields, so "backing off" turns into "retry due" without waiting for the next run.
 */
import { and, asc, count, desc, eq, gte, ilike, sql, type AnyColumn, type SQL } from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  FEDERATION_DEAD_SQL,
  FEDERATION_HEALTHY_SQL,
  FEDERATION_WAITING_SQL,
  federationDestinations,
  federationSnapshots,
  federationStateChanges,
} from "../../../db/schema";
import type { HomeserverClient } from "../../homeserver";
import { describeHomeserverError, isHomeserverError } from "../../homeserver/errors";
import { recordAudit } from "../audit/events.server";
import { upsertDestinations } from "./collect.server";
import { classifyDestination, DESTINATION_STATES, isFailing, stateSql, type DestinationState } from "./classify.server";

export const DESTINATION_SORTS = ["destination", "state", "failing_since", "interval", "next_retry", "last_attempt"] as const;
export type DestinationSort = (typeof DESTINATION_SORTS)[number];

export interface DestinationListQuery {
  state?: DestinationState;
  /** Case-insensitive substring of the destination name. */
  search?: string;
  sort: DestinationSort;
  dir: "asc" | "desc";
  page: number;
  pageSize: number;
}

export interface DestinationView {
  destination: string;
  state: DestinationState;
  retryLastTs: number;
  retryInterval: number;
  failureTs: number | null;
  failingSince: number | null;
  nextRetryAt: number | null;
  lastSuccessfulStreamOrdering: number | null;
  /** When Steward reset the connection, while no attempt has been seen since (ms); null otherwise. */
  resetNotRetriedSince: number | null;
}

/** When Synapse tries again after a reset: the page's explanation and the success message both say this. */
export const RESET_RETRY_TEXT =
  "Synapse forgets the backoff and tries again at once if events are waiting for this server, otherwise with the next event it sends there.";

const T = federationDestinations;
const stateOf = (now: number) => stateSql({ retryLastTs: T.retryLastTs, retryInterval: T.retryInterval }, now);

function toView(r: typeof T.$inferSelect, now: number): DestinationView {
  const c = classifyDestination(r, now);
  return {
    destination: r.destination,
    state: c.state,
    retryLastTs: r.retryLastTs,
    retryInterval: r.retryInterval,
    failureTs: r.failureTs,
    failingSince: c.failingSince,
    nextRetryAt: c.nextRetryAt,
    lastSuccessfulStreamOrdering: r.lastSuccessfulStreamOrdering,
    resetNotRetriedSince: r.resetAt && c.state === "healthy" ? r.resetAt.getTime() : null,
  };
}

/** Escapes LIKE wildcards so a search for "a_b" means exactly that. */
function likeTerm(s: string): string {
  return `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export type StateCounts = Record<DestinationState, number>;

/** Destinations per state for `now` (the cards, /metrics). */
export async function stateCounts(db: Db, now: number): Promise<StateCounts> {
  return (await countDestinations(db, now)).all;
}

/**
 * Destinations per state for `now`, all of them and those matching a search, in one pass over the table (cheap at
 * 10,000 rows; a substring search cannot use an index, so it is paid once here). The table takes its total and
 * its severity runs from `matching` instead of counting again.
 */
export async function countDestinations(db: Db, now: number, search?: string): Promise<{ all: StateCounts; matching: StateCounts }> {
  const st = stateOf(now);
  const rows = await db
    .select({ state: st, n: count(), matching: search ? sql<number>`count(*) filter (where ${ilike(T.destination, likeTerm(search))})` : count() })
    .from(T)
    .groupBy(st);
  const all: StateCounts = { healthy: 0, backing_off: 0, retry_due: 0, dead: 0 };
  const matching: StateCounts = { ...all };
  for (const r of rows) {
    all[r.state] = Number(r.n);
    matching[r.state] = Number(r.matching);
  }
  return { all, matching };
}

/**
 * One state as a WHERE clause that PostgreSQL can answer from the partial name indexes (db/schema/federation.ts):
 * the predicates are repeated textually, with `now` compared against the stored next_retry_at.
 */
function stateWhere(state: DestinationState, now: number): SQL {
  const n = sql.raw(String(Math.floor(now)));
  switch (state) {
    case "healthy":
      return sql.raw(FEDERATION_HEALTHY_SQL);
    case "dead":
      return sql.raw(FEDERATION_DEAD_SQL);
    case "backing_off":
      return sql`${sql.raw(FEDERATION_WAITING_SQL)} and ${T.nextRetryAt} > ${n}`;
    case "retry_due":
      return sql`${sql.raw(FEDERATION_WAITING_SQL)} and ${T.nextRetryAt} <= ${n}`;
  }
}

/** Most urgent first: the severity sort, ascending. */
const SEVERITY: DestinationState[] = ["dead", "retry_due", "backing_off", "healthy"];

/**
 * A page of the destinations table. Every order is one an index provides (name within a state, or a retry column
 * then name), so a page reads about `offset + pageSize` index entries instead of classifying and sorting every
 * destination. The severity order depends on `now`, so it is read state by state (each by name) and the page is
 * cut from those runs using the per-state counts. Pass `matching` (countDestinations for the same `now` and
 * search) when the caller has it already.
 */
export async function listDestinations(db: Db, q: DestinationListQuery, now: number, matching?: StateCounts) {
  const search = q.search ? ilike(T.destination, likeTerm(q.search)) : undefined;
  const perState = matching ?? (await countDestinations(db, now, q.search)).matching;
  const total = q.state ? perState[q.state] : DESTINATION_STATES.reduce((n, s) => n + perState[s], 0);
  const offset = (q.page - 1) * q.pageSize;
  const page = (where: SQL | undefined, order: SQL[], limit: number, skip: number) =>
    db.select().from(T).where(where).orderBy(...order).limit(limit).offset(skip);

  if (q.sort === "state") {
    const runs = q.state ? [q.state] : q.dir === "desc" ? [...SEVERITY].reverse() : SEVERITY;
    const rows: (typeof T.$inferSelect)[] = [];
    let skip = offset;
    for (const s of runs) {
      const want = q.pageSize - rows.length;
      if (want <= 0) break;
      if (skip >= perState[s]) {
        skip -= perState[s];
        continue;
      }
      rows.push(...(await page(and(stateWhere(s, now), search), [asc(T.destination)], want, skip)));
      skip = 0;
    }
    return { rows: rows.map((r) => toView(r, now)), total };
  }

  const d = q.dir === "desc" ? "desc" : "asc";
  const by = (col: AnyColumn, nullsLast = false) => sql`${col} ${sql.raw(d)}${sql.raw(nullsLast ? " nulls last" : "")}`;
  // Healthy rows have no failure data: "nulls last" keeps them after the failing ones in both directions.
  const order: SQL[] = {
    destination: [by(T.destination)],
    failing_since: [by(T.failureTs, true), asc(T.destination)],
    interval: [by(T.retryInterval), asc(T.destination)],
    next_retry: [by(T.nextRetryAt, true), asc(T.destination)],
    last_attempt: [by(T.retryLastTs), asc(T.destination)],
  }[q.sort];
  const rows = await page(and(q.state ? stateWhere(q.state, now) : undefined, search), order, q.pageSize, offset);
  return { rows: rows.map((r) => toView(r, now)), total };
}

export interface HistoryPoint {
  at: number;
  healthy: number;
  backing_off: number;
  retry_due: number;
  dead: number;
}

/** Snapshots since `sinceMs`, thinned to at most `maxPoints` (the chart needs shape, not every 5-minute run). */
export async function stateHistory(db: Db, sinceMs: number, maxPoints = 300): Promise<HistoryPoint[]> {
  const rows = await db
    .select()
    .from(federationSnapshots)
    .where(gte(federationSnapshots.takenAt, new Date(sinceMs)))
    .orderBy(asc(federationSnapshots.takenAt));
  const step = Math.max(1, Math.ceil(rows.length / maxPoints));
  const picked = rows.filter((_, i) => i % step === 0 || i === rows.length - 1);
  return picked.map((r) => ({ at: r.takenAt.getTime(), healthy: r.healthy, backing_off: r.backingOff, retry_due: r.retryDue, dead: r.dead }));
}

export async function latestSnapshotAt(db: Db): Promise<Date | null> {
  const [row] = await db.select({ at: federationSnapshots.takenAt }).from(federationSnapshots).orderBy(desc(federationSnapshots.takenAt)).limit(1);
  return row?.at ?? null;
}

export async function getDestination(db: Db, destination: string, now: number): Promise<DestinationView | null> {
  const [row] = await db.select().from(T).where(eq(T.destination, destination));
  return row ? toView(row, now) : null;
}

export async function destinationTimeline(db: Db, destination: string, limit = 100) {
  const rows = await db
    .select()
    .from(federationStateChanges)
    .where(eq(federationStateChanges.destination, destination))
    .orderBy(desc(federationStateChanges.at), desc(federationStateChanges.id))
    .limit(limit);
  return rows.map((r) => ({
    at: r.at.getTime(),
    fromState: r.fromState,
    toState: r.toState,
    retryInterval: r.retryInterval,
    failureTs: r.failureTs,
    source: r.source,
  }));
}

/** Why "Reset connection" is not offered, or null when it is. */
export function resetUnavailableReason(d: DestinationView | null): string | null {
  if (!d) return "Steward has not seen this destination in the homeserver's list.";
  if (d.resetNotRetriedSince) return "The connection was reset; Synapse has not tried this server again yet, so there is nothing more to reset.";
  if (!isFailing(d)) return "There is nothing to reset: Synapse is not backing off from this destination (it is healthy).";
  return null;
}

export type ResetOutcome = { ok: true; state: DestinationState } | { ok: false; message: string };

/**
 * Resets Synapse's backoff for a destination, then refreshes Steward's row and timeline from the homeserver.
 * Audited either way. A rejected token is rethrown so the route can send the admin to sign in again.
 */
export async function resetConnection(
  deps: { db: Db; hs: HomeserverClient; now: () => Date },
  destination: string,
  audit: { actor: string; requestId?: string },
): Promise<ResetOutcome> {
  const before = await getDestination(deps.db, destination, deps.now().getTime());
  const base = { actor: audit.actor, action: "federation.reset_connection", target: destination, requestId: audit.requestId };
  try {
    await deps.hs.federation.resetConnection(destination);
  } catch (e) {
    const message = describeResetError(e);
    await recordAudit(deps.db, { ...base, outcome: "error", detail: { error: message, stateBefore: before?.state ?? null } });
    if (isHomeserverError(e, ["unknown_token", "missing_token"])) throw e;
    return { ok: false, message };
  }
  const at = deps.now();
  let state: DestinationState = "healthy";
  try {
    const fresh = await deps.hs.federation.getDestination(destination);
    state = classifyDestination(fresh, at.getTime()).state;
    await deps.db.transaction(async (tx) => {
      await upsertDestinations(tx as unknown as Db, [
        {
          destination,
          retryLastTs: fresh.retryLastTs,
          retryInterval: fresh.retryInterval,
          failureTs: fresh.failureTs,
          lastSuccessfulStreamOrdering: fresh.lastSuccessfulStreamOrdering,
          state,
          firstSeenAt: at,
          updatedAt: at,
        },
      ]);
      await tx.insert(federationStateChanges).values({ destination, at, fromState: before?.state ?? null, toState: state, retryInterval: fresh.retryInterval, failureTs: fresh.failureTs, source: "reset" });
      // Nothing has been tried yet: until a collection sees an attempt, the page says "reset, not yet retried".
      if (state === "healthy") {
        await tx.update(T).set({ resetAt: at, resetStreamOrdering: fresh.lastSuccessfulStreamOrdering }).where(eq(T.destination, destination));
      }
    });
  } catch {
    // The reset itself succeeded; the next collection brings the row up to date.
  }
  await recordAudit(deps.db, { ...base, outcome: "ok", detail: { stateBefore: before?.state ?? null, stateAfter: state } });
  return { ok: true, state };
}

/** Reset's 400 and 404 in plain words; anything else as the shared homeserver description. */
export function describeResetError(e: unknown): string {
  if (isHomeserverError(e) && e.status === 400) {
    return "The homeserver says there is no backoff to reset for this destination: it is not failing (any more).";
  }
  if (isHomeserverError(e) && e.status === 404) {
    return "The homeserver does not know this destination (it has never federated with it, or it was removed).";
  }
  return describeHomeserverError(e);
}

/** For /metrics: steward_federation_destinations{state=…}, computed for the scrape time. */
export async function federationGaugeFamilies(db: Db, now: Date) {
  const counts = await stateCounts(db, now.getTime());
  return [
    {
      name: "steward_federation_destinations",
      help: "Federation destinations by state (healthy, backing_off, retry_due, dead) as of the latest collection.",
      samples: DESTINATION_STATES.map((s) => ({ labels: { state: s }, value: counts[s] })),
    },
  ];
}

/**
 * Collects the federation destinations list into compact snapshots: the latest row per destination, one row of
 * counts per state per run (the chart), and a state-change row only when a destination's state changes (the
 * timeline). 10,000 destinations cost ~10 requests and, on a quiet run, a few dozen writes.
 */
import { inArray, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { federationDestinations, federationSnapshots, federationStateChanges } from "../../db/schema";
import type { Destination, HomeserverClient } from "../homeserver/index";
import { classifyDestination, type DestinationState } from "./federation-classify.server";

/** Synapse puts no cap on `limit` here; 1000 keeps each answer small and the run to a handful of requests. */
export const DESTINATION_PAGE_SIZE = 1000;
const WRITE_CHUNK = 2000;

export interface CollectFederationDeps {
  db: Db;
  hs: HomeserverClient;
  now: () => Date;
  runId?: number | null;
  progress?: (items: number, total?: number | null) => Promise<void>;
  signal?: AbortSignal;
}

export interface CollectFederationResult {
  items: number;
  total: number;
  counts: Record<DestinationState, number>;
  changes: number;
  summary: string;
}

type Row = typeof federationDestinations.$inferSelect;
type ChangeRow = typeof federationStateChanges.$inferInsert;

export async function fetchAllDestinations(hs: HomeserverClient, opts: Pick<CollectFederationDeps, "progress" | "signal"> = {}): Promise<Destination[]> {
  const all: Destination[] = [];
  for await (const page of hs.federation.iterateDestinations({ orderBy: "destination" }, { limit: DESTINATION_PAGE_SIZE })) {
    all.push(...page.destinations);
    await opts.progress?.(all.length, page.total);
    if (opts.signal?.aborted) throw new Error("Stopped: Steward is shutting down.");
  }
  // Paging by offset can repeat an item when destinations are added mid-run: keep the last copy.
  const unique = new Map(all.map((d) => [d.destination, d]));
  return [...unique.values()];
}

function sameTimings(a: Omit<Row, "firstSeenAt" | "updatedAt">, d: Destination): boolean {
  return (
    a.retryLastTs === d.retryLastTs &&
    a.retryInterval === d.retryInterval &&
    a.failureTs === d.failureTs &&
    a.lastSuccessfulStreamOrdering === d.lastSuccessfulStreamOrdering
  );
}

function chunks<T>(items: T[], size = WRITE_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Upserts destination rows (new or changed ones only). Each chunk travels as one JSON parameter expanded by
 * json_to_recordset: one statement with one parameter instead of thousands, which matters on PGlite.
 */
export async function upsertDestinations(db: Db, rows: Row[]): Promise<void> {
  for (const part of chunks(rows)) {
    const json = JSON.stringify(
      part.map((r) => ({
        destination: r.destination,
        retry_last_ts: r.retryLastTs,
        retry_interval: r.retryInterval,
        failure_ts: r.failureTs,
        last_successful_stream_ordering: r.lastSuccessfulStreamOrdering,
        state: r.state,
        first_seen_at: r.firstSeenAt.toISOString(),
        updated_at: r.updatedAt.toISOString(),
      })),
    );
    await db.execute(sql`
      insert into federation_destinations
        (destination, retry_last_ts, retry_interval, failure_ts, last_successful_stream_ordering, state, first_seen_at, updated_at)
      select * from json_to_recordset(${json}::json) as x(
        destination text, retry_last_ts bigint, retry_interval bigint, failure_ts bigint,
        last_successful_stream_ordering bigint, state text, first_seen_at timestamptz, updated_at timestamptz)
      on conflict (destination) do update set
        retry_last_ts = excluded.retry_last_ts,
        retry_interval = excluded.retry_interval,
        failure_ts = excluded.failure_ts,
        last_successful_stream_ordering = excluded.last_successful_stream_ordering,
        state = excluded.state,
        updated_at = excluded.updated_at`);
  }
}

async function insertChanges(db: Db, rows: ChangeRow[]): Promise<void> {
  for (const part of chunks(rows)) {
    const json = JSON.stringify(
      part.map((c) => ({
        destination: c.destination,
        at: (c.at as Date).toISOString(),
        from_state: c.fromState ?? null,
        to_state: c.toState,
        retry_interval: c.retryInterval ?? null,
        failure_ts: c.failureTs ?? null,
        source: c.source ?? "collector",
      })),
    );
    await db.execute(sql`
      insert into federation_state_changes (destination, at, from_state, to_state, retry_interval, failure_ts, source)
      select * from json_to_recordset(${json}::json) as x(
        destination text, at timestamptz, from_state text, to_state text, retry_interval bigint, failure_ts bigint, source text)`);
  }
}

export async function collectFederation(deps: CollectFederationDeps): Promise<CollectFederationResult> {
  const fetched = await fetchAllDestinations(deps.hs, deps);
  const at = deps.now();
  const now = at.getTime();
  // Only what the comparison needs (no timestamps to parse for 10,000 rows).
  const current = await deps.db
    .select({
      destination: federationDestinations.destination,
      retryLastTs: federationDestinations.retryLastTs,
      retryInterval: federationDestinations.retryInterval,
      failureTs: federationDestinations.failureTs,
      lastSuccessfulStreamOrdering: federationDestinations.lastSuccessfulStreamOrdering,
      state: federationDestinations.state,
    })
    .from(federationDestinations);
  const existing = new Map(current.map((r) => [r.destination, r]));

  const counts: Record<DestinationState, number> = { healthy: 0, backing_off: 0, retry_due: 0, dead: 0 };
  const writes: Row[] = [];
  const changes: ChangeRow[] = [];
  for (const d of fetched) {
    const { state } = classifyDestination(d, now);
    counts[state]++;
    const prev = existing.get(d.destination);
    existing.delete(d.destination);
    if (prev && prev.state === state && sameTimings(prev, d)) continue;
    writes.push({
      destination: d.destination,
      retryLastTs: d.retryLastTs,
      retryInterval: d.retryInterval,
      failureTs: d.failureTs,
      lastSuccessfulStreamOrdering: d.lastSuccessfulStreamOrdering,
      state,
      firstSeenAt: at, // kept from the existing row by the upsert
      updatedAt: at,
    });
    if (!prev || prev.state !== state) {
      changes.push({ destination: d.destination, at, fromState: prev?.state ?? null, toState: state, retryInterval: d.retryInterval, failureTs: d.failureTs });
    }
  }
  // Whatever is left was not in the list any more (Synapse rarely deletes destinations, but it can).
  const removed = [...existing.values()];
  for (const r of removed) changes.push({ destination: r.destination, at, fromState: r.state, toState: "removed", retryInterval: null, failureTs: null });

  await deps.db.transaction(async (tx) => {
    await upsertDestinations(tx as unknown as Db, writes);
    for (const part of chunks(removed.map((r) => r.destination))) {
      await tx.delete(federationDestinations).where(inArray(federationDestinations.destination, part));
    }
    await insertChanges(tx as unknown as Db, changes);
    await tx.insert(federationSnapshots).values({
      takenAt: at,
      runId: deps.runId ?? null,
      healthy: counts.healthy,
      backingOff: counts.backing_off,
      retryDue: counts.retry_due,
      dead: counts.dead,
      total: fetched.length,
    });
  });

  const failing = counts.backing_off + counts.retry_due + counts.dead;
  return {
    items: fetched.length,
    total: fetched.length,
    counts,
    changes: changes.length,
    summary: `${fetched.length} destinations, ${failing} failing (${counts.dead} dead), ${changes.length} state changes`,
  };
}

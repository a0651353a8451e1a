/**
 * The /federation table's paging on a real database: for every sort, direction, state filter and a search, the
 * pages (read from indexes, the severity order state by state) put together are exactly the plain, unindexed
 * ordering of the whole table, with states classified by the pure function, at several clock times (a
 * destination's "backing off" turns into "retry due" with time alone).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asc, desc, sql, type SQL } from "drizzle-orm";
import { startSimulator, type Simulator } from "../simulator/index";
import { seedManyDestinations } from "../simulator/seed-federation";
import { createTestDb, type TestDatabase } from "../helpers/db";
import { createHomeserverClient } from "../../app/homeserver/index";
import { federationDestinations as T } from "../../db/schema";
import { collectFederation } from "../../app/services/federation/collect.server";
import { classifyDestination, DESTINATION_STATES, stateSql, type DestinationState } from "../../app/services/federation/classify.server";
import { countDestinations, DESTINATION_SORTS, listDestinations, stateCounts, type DestinationListQuery, type DestinationSort } from "../../app/services/federation/destinations.server";

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);
const MIN = 60_000;
const PAGE = 9;

let sim: Simulator;
let db: TestDatabase;

beforeAll(async () => {
  sim = await startSimulator({ users: 2, now: () => T0 });
  seedManyDestinations(sim.state, { count: 250, seed: 7, now: T0 });
  db = await createTestDb();
  const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken });
  await collectFederation({ db: db.db, hs, now: () => new Date(T0) });
});
afterAll(async () => {
  await sim?.close();
  await db?.close();
});

/** The reference: one query, classification by the CASE mirror, no index-friendly rewriting, no paging. */
async function reference(q: Omit<DestinationListQuery, "page" | "pageSize">, now: number): Promise<string[]> {
  const st = stateSql({ retryLastTs: T.retryLastTs, retryInterval: T.retryInterval }, now);
  const d = q.dir === "desc" ? desc : asc;
  const severity = sql`case ${st} when 'dead' then 0 when 'retry_due' then 1 when 'backing_off' then 2 else 3 end`;
  const order: Record<DestinationSort, SQL[]> = {
    destination: [d(T.destination)],
    state: [d(severity), asc(T.destination)],
    failing_since: [sql`${T.failureTs} is null`, d(T.failureTs), asc(T.destination)],
    interval: [d(T.retryInterval), asc(T.destination)],
    next_retry: [sql`${T.retryLastTs} = 0`, d(sql`${T.retryLastTs} + ${T.retryInterval}`), asc(T.destination)],
    last_attempt: [d(T.retryLastTs), asc(T.destination)],
  };
  const where: SQL[] = [];
  if (q.state) where.push(sql`${st} = ${q.state}`);
  if (q.search) where.push(sql`${T.destination} ilike ${`%${q.search}%`}`);
  const rows = await db.db
    .select({ destination: T.destination })
    .from(T)
    .where(where.length ? sql.join(where, sql` and `) : undefined)
    .orderBy(...order[q.sort]);
  return rows.map((r) => r.destination);
}

async function allPages(q: Omit<DestinationListQuery, "page" | "pageSize">, now: number, matching?: Record<DestinationState, number>) {
  const names: string[] = [];
  let total = -1;
  for (let page = 1; page < 100; page++) {
    const r = await listDestinations(db.db, { ...q, page, pageSize: PAGE }, now, matching);
    total = r.total;
    for (const row of r.rows) {
      const d = sim.state.federation.destinations.get(row.destination)!;
      expect(row.state, row.destination).toBe(classifyDestination({ retryLastTs: d.retry_last_ts, retryInterval: d.retry_interval, failureTs: d.failure_ts }, now).state);
    }
    names.push(...r.rows.map((x) => x.destination));
    if (r.rows.length < PAGE) break;
  }
  return { names, total };
}

describe("destinations table paging", () => {
  it("has destinations in every state, and a page size that splits the states' runs", async () => {
    const counts = await stateCounts(db.db, T0);
    for (const s of DESTINATION_STATES) expect(counts[s]).toBeGreaterThan(PAGE);
    expect(DESTINATION_STATES.some((s) => counts[s] % PAGE !== 0)).toBe(true);
  });

  for (const [label, dt] of [
    ["now", 0],
    ["45 minutes later", 45 * MIN],
    ["a day later", 86_400_000],
  ] as const) {
    it(`pages every sort and direction exactly like the plain ordering (${label})`, async () => {
      const now = T0 + dt;
      const counts = await stateCounts(db.db, now);
      for (const sort of DESTINATION_SORTS) {
        for (const dir of ["asc", "desc"] as const) {
          const q = { sort, dir };
          const got = await allPages(q, now, counts);
          expect(got.names, `${sort} ${dir}`).toEqual(await reference(q, now));
          expect(got.total).toBe(got.names.length);
        }
      }
    });
  }

  it("pages each state filter and a search under every sort, with totals that match", async () => {
    const now = T0 + 45 * MIN;
    const counts = await stateCounts(db.db, now);
    for (const sort of DESTINATION_SORTS) {
      for (const state of DESTINATION_STATES) {
        const q = { sort, dir: sort === "interval" ? ("desc" as const) : ("asc" as const), state };
        const got = await allPages(q, now, counts);
        expect(got.names, `${sort} ${state}`).toEqual(await reference(q, now));
        expect(got.total).toBe(counts[state]);
      }
      const searched = { sort, dir: "asc" as const, search: "example.NET" };
      const { all, matching } = await countDestinations(db.db, now, searched.search);
      expect(all).toEqual(counts);
      const got = await allPages(searched, now, matching);
      const want = await reference(searched, now);
      expect(want.length).toBeGreaterThan(PAGE);
      expect(got.names, `${sort} search`).toEqual(want);
      expect(got.total).toBe(want.length);
      expect((await allPages({ ...searched, state: "healthy" }, now)).names).toEqual(await reference({ ...searched, state: "healthy" }, now));
    }
  });

  it("answers a page past the end with no rows and the real total", async () => {
    const r = await listDestinations(db.db, { sort: "state", dir: "asc", page: 1000, pageSize: PAGE }, T0);
    expect(r.rows).toEqual([]);
    expect(r.total).toBe(sim.state.federation.destinations.size);
  });
});

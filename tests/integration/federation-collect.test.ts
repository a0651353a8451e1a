/**
 * The federation collector against the simulator on a real database: snapshots (counts per state), compact state
 * changes, the SQL classification agreeing with the pure one at several clock times, paging across many
 * destinations, reset (audited, changes the state, 400/404 in plain words) and the /metrics gauge.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import { addDestination, seedManyDestinations } from "../simulator/seed-federation";
import { createTestDb, type TestDatabase } from "../helpers/db";
import { createHomeserverClient, type HomeserverClient } from "../../app/homeserver/index";
import { auditEvents, federationDestinations, federationSnapshots, federationStateChanges, selfCheckRuns } from "../../db/schema";
import { collectFederation } from "../../app/services/federation/collect.server";
import { classifyDestination, DESTINATION_STATES } from "../../app/services/federation/classify.server";
import { destinationTimeline, getDestination, listDestinations, resetConnection, stateCounts, stateHistory } from "../../app/services/federation/destinations.server";
import { renderGauges } from "../../app/services/observability/gauges.server";
import { federationKpis } from "../../app/services/federation/kpis.server";

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);
const MIN = 60_000;

let sim: Simulator;
let db: TestDatabase;
let hs: HomeserverClient;

beforeAll(async () => {
  sim = await startSimulator({ users: 2, now: () => T0 });
  hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken });
  db = await createTestDb();
});
afterAll(async () => {
  await sim?.close();
  await db?.close();
});
// One database for the file (a fresh one per test costs seconds on PGlite); each test starts from empty tables.
beforeEach(async () => {
  for (const t of [federationDestinations, federationSnapshots, federationStateChanges, auditEvents]) await db.db.delete(t);
  sim.clock.set(T0);
});

const collect = () => collectFederation({ db: db.db, hs, now: () => new Date(sim.clock.now()) });

/** What the simulator's truth says, classified by the pure function. */
function expectedCounts(now: number) {
  const out = { healthy: 0, backing_off: 0, retry_due: 0, dead: 0 };
  for (const d of sim.state.federation.destinations.values()) {
    out[classifyDestination({ retryLastTs: d.retry_last_ts, retryInterval: d.retry_interval, failureTs: d.failure_ts }, now).state]++;
  }
  return out;
}

describe("federation collection", () => {
  it("stores every destination, a snapshot of counts and one 'first seen' change each", async () => {
    const r = await collect();
    const n = sim.state.federation.destinations.size;
    expect(r.items).toBe(n);
    expect(r.counts).toEqual(expectedCounts(T0));
    for (const s of DESTINATION_STATES) expect(r.counts[s]).toBeGreaterThan(0);
    expect(await db.db.select().from(federationDestinations)).toHaveLength(n);
    const [snap] = await db.db.select().from(federationSnapshots);
    expect({ healthy: snap.healthy, backing_off: snap.backingOff, retry_due: snap.retryDue, dead: snap.dead }).toEqual(expectedCounts(T0));
    const changes = await db.db.select().from(federationStateChanges);
    expect(changes).toHaveLength(n);
    expect(changes.every((c) => c.fromState === null)).toBe(true);
  });

  it("writes only state changes on later runs, and the SQL states agree with the pure function at every time", async () => {
    await collect();
    for (const dt of [0, 30 * MIN, 58 * MIN, 3 * 3600_000, 8 * 86_400_000]) {
      const now = T0 + dt;
      expect(await stateCounts(db.db, now), `at +${dt / MIN} min`).toEqual(expectedCounts(now));
      const { rows } = await listDestinations(db.db, { sort: "destination", dir: "asc", page: 1, pageSize: 100 }, now);
      for (const row of rows) {
        const d = sim.state.federation.destinations.get(row.destination)!;
        expect(row.state).toBe(classifyDestination({ retryLastTs: d.retry_last_ts, retryInterval: d.retry_interval, failureTs: d.failure_ts }, now).state);
      }
    }
    // An hour later backoff.example's interval has run out: exactly one state change is recorded.
    sim.clock.set(T0 + 60 * MIN);
    const r = await collect();
    expect(r.changes).toBe(1);
    const timeline = await destinationTimeline(db.db, "backoff.example");
    expect(timeline.map((t) => [t.fromState, t.toState])).toEqual([
      ["backing_off", "retry_due"],
      [null, "backing_off"],
    ]);
    const history = await stateHistory(db.db, T0 - 1);
    expect(history.map((h) => h.backing_off)).toEqual([expectedCounts(T0).backing_off, expectedCounts(T0 + 60 * MIN).backing_off]);
  });

  it("records a destination that left the list as removed, and a new one as first seen", async () => {
    await collect();
    sim.state.federation.destinations.delete("gone.example");
    addDestination(sim.state, { destination: "new.example", retry_last_ts: T0 - MIN, retry_interval: 10 * MIN, failure_ts: T0 - MIN });
    await collect();
    expect((await destinationTimeline(db.db, "gone.example"))[0]).toMatchObject({ fromState: "dead", toState: "removed" });
    expect((await destinationTimeline(db.db, "new.example"))[0]).toMatchObject({ fromState: null, toState: "backing_off" });
    expect(await getDestination(db.db, "gone.example", T0)).toBeNull();
    addDestination(sim.state, { destination: "gone.example", retry_last_ts: T0 - 8 * 86_400_000, retry_interval: 7 * 86_400_000, failure_ts: T0 - 90 * 86_400_000 });
    sim.state.federation.destinations.delete("new.example");
  });

  it("filters by state, searches and sorts the table", async () => {
    await collect();
    const dead = await listDestinations(db.db, { state: "dead", sort: "destination", dir: "asc", page: 1, pageSize: 50 }, T0);
    expect(dead.rows.map((r) => r.destination)).toEqual(["dead.example", "gone.example"]);
    const search = await listDestinations(db.db, { search: "EXAMPLE.ORG", sort: "destination", dir: "asc", page: 1, pageSize: 50 }, T0);
    expect(search.rows.map((r) => r.destination)).toEqual(["matrix.example.org"]);
    // A LIKE wildcard in the search is taken literally.
    expect((await listDestinations(db.db, { search: "%", sort: "destination", dir: "asc", page: 1, pageSize: 50 }, T0)).total).toBe(0);
    const bySince = await listDestinations(db.db, { sort: "failing_since", dir: "asc", page: 1, pageSize: 3 }, T0);
    expect(bySince.rows.map((r) => r.destination)).toEqual(["gone.example", "dead.example", "retrydue.example"]);
    const byState = await listDestinations(db.db, { sort: "state", dir: "asc", page: 1, pageSize: 2 }, T0);
    expect(byState.rows.map((r) => r.state)).toEqual(["dead", "dead"]);
  });

  it("pages through many destinations (limit 1000) without losing any", async () => {
    const extra = 2500;
    seedManyDestinations(sim.state, { count: extra, seed: 3, now: T0 });
    try {
      const r = await collect();
      expect(r.items).toBe(sim.state.federation.destinations.size);
      expect(await stateCounts(db.db, T0)).toEqual(expectedCounts(T0));
      const pages = sim.requestLog.filter((e) => e.path === "/_synapse/admin/v1/federation/destinations").slice(-3);
      expect(pages.map((p) => new URLSearchParams(p.query).get("from"))).toEqual(["0", "1000", "2000"]);
    } finally {
      for (const name of [...sim.state.federation.destinations.keys()]) if (name.startsWith("hs")) sim.state.federation.destinations.delete(name);
    }
  });
});

describe("reset connection", () => {
  it("resets a failing destination: audited, state changes to healthy in Steward and on the server", async () => {
    await collect();
    const out = await resetConnection({ db: db.db, hs, now: () => new Date(sim.clock.now()) }, "retrydue.example", { actor: "@admin:sim.test" });
    expect(out).toEqual({ ok: true, state: "healthy" });
    expect(sim.state.federation.destinations.get("retrydue.example")).toMatchObject({ retry_last_ts: 0, retry_interval: 0, failure_ts: null });
    expect((await getDestination(db.db, "retrydue.example", T0))!.state).toBe("healthy");
    expect((await destinationTimeline(db.db, "retrydue.example"))[0]).toMatchObject({ fromState: "retry_due", toState: "healthy", source: "reset" });
    const audit = await db.db.select().from(auditEvents);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: "@admin:sim.test", action: "federation.reset_connection", target: "retrydue.example", outcome: "ok" });
    expect(audit[0].detail).toEqual({ stateBefore: "retry_due", stateAfter: "healthy" });
    // Put it back for the other tests.
    Object.assign(sim.state.federation.destinations.get("retrydue.example")!, { retry_last_ts: T0 - 12 * 3600_000 - 10 * MIN, retry_interval: 10 * MIN, failure_ts: T0 - 86_400_000 });
  });

  it("says plainly why a reset was refused (400: not failing; 404: unknown) and audits the failure", async () => {
    const deps = { db: db.db, hs, now: () => new Date(sim.clock.now()) };
    const healthy = await resetConnection(deps, "healthy.example", { actor: "@admin:sim.test" });
    expect(healthy).toEqual({ ok: false, message: expect.stringContaining("not failing") });
    const unknown = await resetConnection(deps, "nosuch.example", { actor: "@admin:sim.test" });
    expect(unknown).toEqual({ ok: false, message: expect.stringContaining("does not know this destination") });
    const audit = await db.db.select().from(auditEvents);
    expect(audit.map((a) => [a.target, a.outcome])).toEqual([
      ["healthy.example", "error"],
      ["nosuch.example", "error"],
    ]);
  });
});

describe("/metrics gauge", () => {
  it("exports steward_federation_destinations per state", async () => {
    await collect();
    const text = await renderGauges(db.db, new Date(T0));
    const counts = expectedCounts(T0);
    for (const s of DESTINATION_STATES) expect(text).toContain(`steward_federation_destinations{state="${s}"} ${counts[s]}\n`);
  });
});

describe("overview cards", () => {
  it("names the failing self-checks by title, two at most, and counts the rest", async () => {
    const check = (id: string, status: string) => ({ id, title: `Title of ${id}`, status, summary: `A long summary of ${id} `.repeat(10), fix: null });
    const at = new Date(T0);
    const run = async (results: unknown[]) => {
      await db.db.delete(selfCheckRuns);
      await db.db.insert(selfCheckRuns).values({ startedAt: at, finishedAt: at, serverName: "t.test", status: "fail", trigger: "test", results });
      return (await federationKpis({ db: db.db, now: at })).find((k) => k.id === "federation.self_check")!;
    };
    try {
      expect(await run([check("a", "fail"), check("b", "pass"), check("c", "fail"), check("d", "fail"), check("e", "warn"), check("f", "fail")])).toMatchObject({
        value: 4,
        hint: "Title of a · Title of c · and 2 more",
      });
      expect(await run([check("a", "pass"), check("c", "fail")])).toMatchObject({ value: 1, hint: "Title of c" });
      expect(await run([check("a", "warn"), check("b", "pass")])).toMatchObject({ value: 0, hint: "1 warning" });
      expect(await run([check("a", "pass")])).toMatchObject({ value: 0, hint: "our server is reachable" });
    } finally {
      await db.db.delete(selfCheckRuns);
    }
  });

  it("counts failing destinations now, with the change since the earliest snapshot of the week", async () => {
    expect(await federationKpis({ db: db.db, now: new Date(T0) })).toEqual([]);
    await collect();
    const failingAt = (now: number) => {
      const c = expectedCounts(now);
      return c.backing_off + c.retry_due + c.dead;
    };
    const [first] = await federationKpis({ db: db.db, now: new Date(T0) });
    expect(first).toMatchObject({ id: "federation.failing", value: failingAt(T0), delta: null, better: "down" });
    const saved = { ...sim.state.federation.destinations.get("backoff.example")! };
    Object.assign(sim.state.federation.destinations.get("backoff.example")!, { retry_last_ts: 0, retry_interval: 0, failure_ts: null });
    sim.clock.set(T0 + 3600_000);
    try {
      await collect();
      const [later] = await federationKpis({ db: db.db, now: new Date(T0 + 3600_000) });
      expect(later.value).toBe(failingAt(T0 + 3600_000));
      // Less than a week of history: nothing to compare with yet (one rule for every card, issue 14).
      expect(later.delta).toBeNull();
      expect(later.hint).toContain("2 dead");
      // A week on, the card compares with the latest snapshot at least a week old: the one just taken.
      const weekOn = T0 + 3600_000 + 7 * 86_400_000 + 60_000;
      sim.clock.set(weekOn);
      await collect();
      const [week] = await federationKpis({ db: db.db, now: new Date(weekOn) });
      expect(week.value).toBe(failingAt(weekOn));
      expect(week.delta).toBe(failingAt(weekOn) - failingAt(T0 + 3600_000));
      expect(week.comparedAt?.getTime()).toBe(T0 + 3600_000);
    } finally {
      Object.assign(sim.state.federation.destinations.get("backoff.example")!, saved);
    }
  });
});

/**
 * The user-counts collector against the simulator: every count equals the truth computed here from `sim.state`,
 * history accumulates across runs (the test drives both clocks), Steward's copy of the list follows the server
 * (new, changed and vanished users), older servers say "not available" instead of 0, MAS mode still works, and
 * two runners on two pools of one PostgreSQL never collect at the same time.
 */
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asc, sql } from "drizzle-orm";
import { createTestDb, usingPostgres, type TestDatabase } from "../helpers/db";
import { openDatabase } from "../../db/client";
import { homeserverUsers, userCountDaily, userCountSnapshots, userRegistrationsDaily } from "../../db/schema";
import { loadConfig } from "../../app/config.server";
import { createLogger } from "../../app/services/observability/log.server";
import { runCollector, type RunOutcome } from "../../app/services/collectors/framework.server";
import { userCountsCollector } from "../../app/services/users/counts-collector.server";
import { isRebuilt, latestSnapshot, userSeries } from "../../app/services/users/counts.server";
import { createHomeserverClient } from "../../app/homeserver/index";
import { addUser, startSimulator, type SimState, type Simulator } from "../simulator/index";

const DAY = 86_400_000;
const T0 = Date.parse("2026-06-01T12:00:00Z");
const config = loadConfig({ NODE_ENV: "test", HOMESERVER_URL: "http://127.0.0.1:1", SESSION_SECRET: "x".repeat(40), STEWARD_DATA_DIR: os.tmpdir() });
const log = createLogger("error");

/** The expected counts, computed from the simulator's state with the documented definitions. */
function truth(state: SimState, now: number, opts: { guestsListed: boolean } = { guestsListed: true }) {
  const users = [...state.users.values()].filter((u) => opts.guestsListed || !u.is_guest);
  const n = (p: (u: (typeof users)[number]) => boolean) => users.filter(p).length;
  const seenWithin = (d: number) => n((u) => !u.deactivated && u.last_seen_ts !== null && u.last_seen_ts >= now - d * DAY);
  const createdWithin = (d: number) => n((u) => u.creation_ts >= now - d * DAY);
  return {
    total: users.length,
    active1d: seenWithin(1),
    active7d: seenWithin(7),
    active30d: seenWithin(30),
    neverSeen: n((u) => !u.deactivated && u.last_seen_ts === null),
    created1d: createdWithin(1),
    created7d: createdWithin(7),
    created30d: createdWithin(30),
    deactivated: n((u) => u.deactivated),
    locked: n((u) => u.locked),
    guests: opts.guestsListed ? n((u) => u.is_guest) : null,
    admins: n((u) => u.admin),
    regular: n((u) => u.user_type === null),
    bots: n((u) => u.user_type === "bot"),
    support: n((u) => u.user_type === "support"),
    otherTypes: n((u) => u.user_type !== null && u.user_type !== "bot" && u.user_type !== "support"),
    shadowBanned: n((u) => u.shadow_banned),
  };
}

async function collect(sim: Simulator, database: TestDatabase): Promise<RunOutcome> {
  const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken, maxRetries: 0 });
  return runCollector({ database, config, log, now: () => new Date(sim.clock.now()) }, userCountsCollector, hs, "cli");
}

describe("user-counts collector on a current Synapse", () => {
  let sim: Simulator;
  let database: TestDatabase;
  beforeAll(async () => {
    sim = await startSimulator({ users: 60, seed: 11, now: () => T0 });
    sim.clock.set(T0);
    database = await createTestDb();
  });
  afterAll(async () => {
    await database?.close();
    await sim?.close();
  });

  it("counts every category exactly as the server's state says", async () => {
    const outcome = await collect(sim, database);
    expect(outcome.status, JSON.stringify(outcome)).toBe("ok");
    const snap = (await latestSnapshot(database.db))!;
    const expected = truth(sim.state, T0);
    // The seeded population exercises every category (otherwise equality would prove little).
    for (const k of ["deactivated", "locked", "guests", "bots", "support", "shadowBanned", "neverSeen", "active1d"] as const) {
      expect(expected[k], k).toBeGreaterThan(0);
    }
    expect(expected.active30d).toBeLessThan(expected.total);
    const { id: _i, takenAt, runId, unavailable, serverVersion, ...counts } = snap;
    expect(counts).toEqual(expected);
    expect(unavailable).toEqual({});
    expect(serverVersion).toBe("1.132.0");
    expect(takenAt.getTime()).toBe(T0);
    expect(runId).toBe(outcome.status === "ok" ? outcome.runId : -1);
  });

  it("stores the full list, with ms creation times and last-seen, and the registrations per day", async () => {
    const rows = await database.db.select().from(homeserverUsers).orderBy(asc(homeserverUsers.userId));
    const simUsers = [...sim.state.users.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    expect(rows.map((r) => r.userId)).toEqual(simUsers.map((u) => u.name));
    for (const [i, u] of simUsers.entries()) {
      const r = rows[i];
      expect(r.creationTs?.getTime()).toBe(u.creation_ts);
      expect(r.lastSeenTs?.getTime() ?? null).toBe(u.last_seen_ts);
      expect({ d: r.displayname, a: r.admin, g: r.isGuest, t: r.userType, x: r.deactivated, l: r.locked, s: r.shadowBanned }).toEqual({
        d: u.displayname, a: u.admin, g: u.is_guest, t: u.user_type, x: u.deactivated, l: u.locked, s: u.shadow_banned,
      });
    }
    const regs = await database.db.select().from(userRegistrationsDaily);
    expect(regs.reduce((s, r) => s + r.count, 0)).toBe(simUsers.length);
    const day = new Date(simUsers[5].creation_ts).toISOString().slice(0, 10);
    expect(regs.find((r) => r.day === day)?.count).toBe(simUsers.filter((u) => new Date(u.creation_ts).toISOString().slice(0, 10) === day).length);
  });

  /** Each stored user's row: the transaction that last wrote it (xmin) and its content, without the run stamp. */
  const rowVersions = async () => {
    const res = await database.db.execute(sql`select xmin::text as v, h.* from homeserver_users h`);
    return new Map(
      (res as unknown as { rows: Array<{ v: string; user_id: string; run_id: unknown }> }).rows.map(({ v, run_id: _r, ...row }) => [row.user_id, { v, content: JSON.stringify(row) }]),
    );
  };

  it("accumulates history across runs and follows new, changed and vanished users", async () => {
    // 15 minutes later: a new account, a deactivation, and an account that vanished from the server.
    sim.clock.advance(15 * 60_000);
    addUser(sim.state, { localpart: "newcomer", displayname: "New <b>comer</b>", creation_ts: sim.clock.now() - 60_000 }, sim.clock.now());
    const victim = [...sim.state.users.values()].find((u) => !u.deactivated && !u.admin && u.user_type === null)!;
    victim.deactivated = true;
    const vanished = [...sim.state.users.values()].find((u) => !u.admin && u !== victim && u.user_type === null)!;
    sim.state.users.delete(vanished.name);
    const before = await rowVersions();
    expect((await collect(sim, database)).status).toBe("ok");
    // Only what changed was written (a row's xmin is the transaction that last wrote it): the new account, the
    // deactivated one, and the admin whose last-seen time the collection's own requests moved; the vanished one is gone.
    const after = await rowVersions();
    const written = [...after].filter(([id, r]) => before.get(id)?.v !== r.v).map(([id]) => id);
    const changed = [...after].filter(([id, r]) => before.get(id)?.content !== r.content).map(([id]) => id);
    expect(written.sort()).toEqual(changed.sort());
    expect(written).toContain(victim.name);
    expect(written.some((id) => id.startsWith("@newcomer:"))).toBe(true);
    expect(written.length).toBeLessThanOrEqual(3);
    expect(after.size).toBeGreaterThan(10);
    expect(after.has(vanished.name)).toBe(false);
    // A day later, one more run.
    sim.clock.advance(DAY);
    expect((await collect(sim, database)).status).toBe("ok");

    const snaps = await database.db.select().from(userCountSnapshots).orderBy(asc(userCountSnapshots.takenAt));
    expect(snaps.map((s) => s.takenAt.getTime())).toEqual([T0, T0 + 15 * 60_000, T0 + 15 * 60_000 + DAY]);
    expect(snaps[1].total).toBe(snaps[0].total); // one new, one vanished
    expect(snaps[1].deactivated).toBe(snaps[0].deactivated + 1);
    const { id: _i, takenAt: _t, runId: _r, unavailable: _u, serverVersion: _v, ...last } = snaps[2];
    expect(last).toEqual(truth(sim.state, sim.clock.now()));

    const stored = await database.db.select().from(homeserverUsers);
    expect(stored.some((r) => r.userId === vanished.name)).toBe(false);
    expect(stored.find((r) => r.userId === victim.name)?.deactivated).toBe(true);
    expect(stored.find((r) => r.userId.startsWith("@newcomer:"))?.displayname).toBe("New <b>comer</b>");

    // Two days of history: the daily rollup keeps the last snapshot of each day.
    // (Days before the first run are rebuilt from creation times: user-counts-backfill.test.ts.)
    const daily = (await database.db.select().from(userCountDaily).orderBy(asc(userCountDaily.day))).filter((d) => !isRebuilt(d.unavailable));
    expect(daily.map((d) => d.takenAt.getTime())).toEqual([T0 + 15 * 60_000, T0 + 15 * 60_000 + DAY]);
    const series = await userSeries(database.db, "7d", new Date(sim.clock.now()));
    // 7 days are thinned to one point per hour: 12:00 and 12:15 share an hour, the later one stays.
    expect(series.counts.map((p) => p.t)).toEqual([T0 + 15 * 60_000, T0 + 15 * 60_000 + DAY]);
    expect(series.counts.map((p) => p.total)).toEqual([snaps[1].total, snaps[2].total]);
    // Registrations per UTC day over the last 7 days, zeros included, equal the server's creation times.
    const nowMs = sim.clock.now();
    const dayOf = (ms: number) => Date.UTC(new Date(ms).getUTCFullYear(), new Date(ms).getUTCMonth(), new Date(ms).getUTCDate());
    const expectedRegs = new Map<number, number>();
    for (let t = dayOf(nowMs - 7 * DAY); t <= nowMs; t += DAY) expectedRegs.set(t, 0);
    for (const u of sim.state.users.values()) if (expectedRegs.has(dayOf(u.creation_ts))) expectedRegs.set(dayOf(u.creation_ts), expectedRegs.get(dayOf(u.creation_ts))! + 1);
    expect(series.registrations).toEqual([...expectedRegs].map(([t, count]) => ({ t, count })));
    expect(series.registrations.some((r) => r.count > 0)).toBe(true);
  });
});

describe("user-counts collector over several pages", () => {
  let sim: Simulator;
  let database: TestDatabase;
  const storedIds = async () => new Set((await database.db.select({ id: homeserverUsers.userId }).from(homeserverUsers)).map((r) => r.id));
  beforeAll(async () => {
    sim = await startSimulator({ users: 5, seed: 12, now: () => T0 });
    sim.clock.set(T0);
    // Two full pages of the collector's 5,000 and a part-page.
    for (let i = 0; i < 10_100; i++) addUser(sim.state, { localpart: `member${i}`, creation_ts: T0 - (10_100 - i) * 60_000 }, T0);
    database = await createTestDb();
  });
  afterAll(async () => {
    await database?.close();
    await sim?.close();
  });

  it("a pass that fails part-way keeps the stored list whole, says why, and the next pass catches up", async () => {
    expect((await collect(sim, database)).status).toBe("ok");
    const first = await storedIds();
    expect(first.size).toBe(sim.state.users.size);
    const pages = sim.requestLog.filter((e) => /\/users$/.test(e.path) && /(^|&)limit=5000(&|$)/.test(e.query));
    expect(pages.map((e) => new URLSearchParams(e.query).get("from"))).toEqual(["0", "5000", "10000"]);

    // An account vanishes from the server; then the second page fails (Synapse answers 500).
    const vanished = [...sim.state.users.values()].find((u) => u.name.startsWith("@member10050:"))!;
    sim.state.users.delete(vanished.name);
    sim.injectFault({ kind: "status500", path: "/_synapse/admin/", query: /(^|&)from=5000(&|$)/ });
    const snapshotsBefore = (await database.db.select().from(userCountSnapshots)).length;
    const failed = await collect(sim, database);
    expect(failed.status).toBe("failed");
    expect(failed.status === "failed" && failed.error).toMatch(/500/);
    // Pages after the failure are not read, nothing the pass did not see is removed, and no snapshot is taken.
    expect(await storedIds()).toEqual(first);
    expect((await database.db.select().from(userCountSnapshots)).length).toBe(snapshotsBefore);

    sim.clearFaults();
    expect((await collect(sim, database)).status).toBe("ok");
    const after = await storedIds();
    expect(after.has(vanished.name)).toBe(false);
    expect(after.size).toBe(sim.state.users.size);
  });
});

describe("user-counts collector on older or delegated servers", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDb();
  });
  afterAll(async () => {
    await database?.close();
  });

  it("says 'not available on Synapse 1.90' for activity and locking instead of 0 (v2 list, no last_seen_ts)", async () => {
    const sim = await startSimulator({ users: 20, seed: 5, now: () => T0, version: "1.90.0" });
    try {
      sim.clock.set(T0);
      const outcome = await collect(sim, database);
      expect(outcome.status, JSON.stringify(outcome)).toBe("ok");
      // It fell back to the v2 list (v3 arrived in 1.103) and still saw the deactivated accounts.
      expect(sim.requestLog.some((r) => r.path === "/_synapse/admin/v2/users" && r.status === 200)).toBe(true);
      const snap = (await latestSnapshot(database.db))!;
      const expected = truth(sim.state, T0);
      expect(snap.total).toBe(expected.total);
      expect(snap.deactivated).toBe(expected.deactivated);
      expect(snap.active30d).toBeNull();
      expect(snap.neverSeen).toBeNull();
      expect(snap.locked).toBeNull();
      expect(snap.created7d).toBe(expected.created7d);
      expect(snap.unavailable.active30d).toContain("Not available on Synapse 1.90.0");
      expect(snap.unavailable.locked).toContain("1.93");
    } finally {
      await sim.close();
    }
  });

  it("works under MAS (guests=false) and reports guests as not available", async () => {
    const sim = await startSimulator({ users: 20, seed: 6, now: () => T0, mas: true });
    try {
      sim.clock.set(T0);
      const outcome = await collect(sim, database);
      expect(outcome.status, JSON.stringify(outcome)).toBe("ok");
      const snap = (await latestSnapshot(database.db))!;
      const { id: _i, takenAt: _t, runId: _r, unavailable, serverVersion: _v, ...counts } = snap;
      expect(counts).toEqual(truth(sim.state, T0, { guestsListed: false }));
      expect(unavailable.guests).toMatch(/MAS/);
    } finally {
      await sim.close();
    }
  });
});

describe.skipIf(!usingPostgres)("two Steward processes on one PostgreSQL", () => {
  it("never run the user-counts collector at the same time (advisory lock)", async () => {
    const sim = await startSimulator({ users: 30, seed: 9, latencyMs: 30 });
    const database = await createTestDb();
    // A second, independent pool on the same database: what a second replica has.
    const other = await openDatabase({ url: database.url!, poolSize: 2 });
    try {
      const outcomes = await Promise.all([collect(sim, database), collect(sim, other as TestDatabase)]);
      const statuses = outcomes.map((o) => o.status).sort();
      expect(statuses).toEqual(["busy", "ok"]);
      const runs = await database.db.select().from(userCountSnapshots);
      expect(runs).toHaveLength(1);
    } finally {
      await other.close();
      await database.close();
      await sim.close();
    }
  });
});

describe.skipIf(usingPostgres)("two Steward processes (PGlite)", () => {
  it.skip("PGlite is embedded and single-process by design (a lock file refuses a second process); the advisory-lock test runs on PostgreSQL", () => {});
});

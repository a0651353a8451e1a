/**
 * The demo's lived-in past (issue 14, item 26): months of daily snapshots, taken by the real collectors against
 * the simulator's clock while its world evolves (accounts registering and being deactivated, destinations failing
 * and recovering), and the simulator back at its seeded present afterwards.
 */
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asc } from "drizzle-orm";
import { createTestDb, type TestDatabase } from "../helpers/db";
import { collectorRuns, federationSnapshots, postureScans, userCountDaily } from "../../db/schema";
import { loadConfig } from "../../app/config.server";
import { isRebuilt, userSeries } from "../../app/services/users/counts.server";
import { hasHistory, seedDemoHistory, type HistoryResult } from "../../scripts/demo-history";
import { startSimulator, type Simulator } from "../simulator/index";

const DAY = 86_400_000;
const DAYS = 90;
const config = loadConfig({ NODE_ENV: "test", HOMESERVER_URL: "http://127.0.0.1:1", SESSION_SECRET: "x".repeat(40), STEWARD_DATA_DIR: os.tmpdir() });

describe("demo history", () => {
  let sim: Simulator;
  let database: TestDatabase;
  let result: HistoryResult;
  let present: number;
  let before: string;
  beforeAll(async () => {
    present = Date.now();
    sim = await startSimulator({ users: 40, seed: 1, now: () => present });
    database = await createTestDb();
    before = JSON.stringify({ users: [...sim.state.users.values()].sort((a, b) => a.name.localeCompare(b.name)), fed: [...sim.state.federation.destinations.values()] });
    expect(await hasHistory(database)).toBe(false);
    result = await seedDemoHistory({ database, config, sim, days: DAYS, seed: 1 });
  }, 600_000);
  afterAll(async () => {
    await sim?.close();
    await database?.close();
  });

  it("runs the collectors at every simulated day, with the simulator's clock", async () => {
    expect(result.failed).toBe(0);
    expect(await hasHistory(database)).toBe(true);
    const runs = await database.db.select().from(collectorRuns).where(undefined).orderBy(asc(collectorRuns.startedAt));
    const userRuns = runs.filter((r) => r.collector === "user-counts");
    expect(userRuns.length).toBe(DAYS + 1);
    expect(userRuns[0].startedAt.getTime()).toBe(present - DAYS * DAY);
    expect(userRuns.at(-1)!.startedAt.getTime()).toBe(present);
    expect(runs.filter((r) => r.collector === "posture").length).toBeGreaterThanOrEqual(Math.floor(DAYS / 7));
    console.log(`demo history: ${result.runs} collector runs over ${DAYS} days in ${result.ms} ms`);
  });

  it("leaves months of daily counts that change as the world did", async () => {
    const daily = (await database.db.select().from(userCountDaily).orderBy(asc(userCountDaily.day))).filter((d) => !isRebuilt(d.unavailable));
    expect(daily.length).toBe(DAYS + 1);
    const totals = new Set(daily.map((d) => d.total));
    expect(totals.size).toBeGreaterThan(2); // accounts registered over the months
    expect(daily[0].total).toBeLessThan(daily.at(-1)!.total);
    expect(daily[0].deactivated).toBeLessThan(daily.at(-1)!.deactivated); // and some were deactivated
    expect(new Set(daily.map((d) => d.active7d)).size).toBeGreaterThan(1);
    // The year chart is a line over months, not a dot.
    const series = await userSeries(database.db, "1y", new Date(present));
    expect(series.counts.filter((p) => !p.rebuilt).length).toBe(DAYS + 1);

    const fed = await database.db.select().from(federationSnapshots).orderBy(asc(federationSnapshots.takenAt));
    expect(fed.length).toBe(DAYS + 1);
    expect(new Set(fed.map((f) => `${f.healthy}/${f.backingOff}/${f.retryDue}/${f.dead}`)).size).toBeGreaterThan(2);
    const scans = await database.db.select().from(postureScans);
    expect(scans.filter((s) => s.status === "complete").length).toBeGreaterThanOrEqual(Math.floor(DAYS / 7));
  });

  it("gives the simulator its seeded present back", () => {
    const after = JSON.stringify({ users: [...sim.state.users.values()].sort((a, b) => a.name.localeCompare(b.name)), fed: [...sim.state.federation.destinations.values()] });
    expect(after).toBe(before);
    expect(sim.clock.now()).toBe(present);
  });
});

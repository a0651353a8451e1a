/**
 * "Accounts over time" from day one (issue 14, item 26): the first user-counts run on a server rebuilds one daily
 * row per past day from each account's creation_ts (accounts that existed that day; deactivations unknown, marked so),
 * it happens once, a second run changes nothing, and the 30-day series draws those days with no false deactivations.
 */
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asc } from "drizzle-orm";
import { createTestDb, type TestDatabase } from "../helpers/db";
import { userCountDaily } from "../../db/schema";
import { loadConfig } from "../../app/config.server";
import { createLogger } from "../../app/services/observability/log.server";
import { runCollector } from "../../app/services/collectors/framework.server";
import { userCountsCollector } from "../../app/services/users/counts-collector.server";
import { isRebuilt, REBUILT_NOTE, userSeries } from "../../app/services/users/counts.server";
import { createHomeserverClient } from "../../app/homeserver/index";
import { addUser, startSimulator, type Simulator } from "../simulator/index";

const DAY = 86_400_000;
const T0 = Date.parse("2026-06-01T12:00:00Z");
const config = loadConfig({ NODE_ENV: "test", HOMESERVER_URL: "http://127.0.0.1:1", SESSION_SECRET: "x".repeat(40), STEWARD_DATA_DIR: os.tmpdir() });
const log = createLogger("error");
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

async function collect(sim: Simulator, database: TestDatabase) {
  const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken, maxRetries: 0 });
  return runCollector({ database, config, log, now: () => new Date(sim.clock.now()) }, userCountsCollector, hs, "cli");
}

describe("accounts over time rebuilt from creation times on the first run", () => {
  let sim: Simulator;
  let database: TestDatabase;
  beforeAll(async () => {
    sim = await startSimulator({ users: 30, seed: 14, now: () => T0 });
    database = await createTestDb();
  });
  afterAll(async () => {
    await sim?.close();
    await database?.close();
  });

  it("writes one row per past day with the accounts created on or before it, and marks deactivations unknown", async () => {
    expect((await collect(sim, database)).status).toBe("ok");
    const daily = await database.db.select().from(userCountDaily).orderBy(asc(userCountDaily.day));
    const rebuilt = daily.filter((d) => isRebuilt(d.unavailable));
    const users = [...sim.state.users.values()];
    const oldest = Math.min(...users.map((u) => u.creation_ts));
    // Every day from the oldest account's to yesterday, then today's real count.
    expect(rebuilt[0].day).toBe(dayOf(oldest));
    expect(rebuilt.at(-1)!.day).toBe(dayOf(T0 - DAY));
    expect(rebuilt.length).toBe(Math.round((Date.parse(`${dayOf(T0)}T00:00:00Z`) - Date.parse(`${dayOf(oldest)}T00:00:00Z`)) / DAY));
    expect(daily.at(-1)!.day).toBe(dayOf(T0));
    expect(isRebuilt(daily.at(-1)!.unavailable)).toBe(false);
    for (const row of rebuilt) {
      const endOfDay = Date.parse(`${row.day}T00:00:00Z`) + DAY - 1;
      // Deactivated accounts existed that day too: every listed account created by the end of it.
      expect(row.total, row.day).toBe(users.filter((u) => u.creation_ts <= endOfDay).length);
      expect(row.created7d, row.day).toBe(users.filter((u) => u.creation_ts <= endOfDay && u.creation_ts > endOfDay - 7 * DAY).length);
      expect(row.active30d).toBeNull();
      expect(row.unavailable.deactivated).toBe(REBUILT_NOTE);
    }
    // The totals grow: the server has a history from day one.
    expect(rebuilt[0].total).toBeLessThan(rebuilt.at(-1)!.total);

    const series = await userSeries(database.db, "30d", new Date(sim.clock.now()));
    const past = series.counts.filter((p) => p.rebuilt);
    expect(past.length).toBe(30);
    expect(past.every((p) => p.deactivated === null)).toBe(true);
    expect(series.counts.at(-1)!.rebuilt).toBeUndefined();
    expect(series.counts.at(-1)!.deactivated).toBe(users.filter((u) => u.deactivated).length);
  });

  it("happens only once: later runs (with new accounts) leave the rebuilt days alone", async () => {
    const before = await database.db.select().from(userCountDaily).orderBy(asc(userCountDaily.day));
    sim.clock.advance(DAY);
    // An account backdated into the rebuilt range would change a rebuilt day if the rebuild ran again.
    addUser(sim.state, { localpart: "latecomer", creation_ts: T0 - 40 * DAY }, sim.clock.now());
    expect((await collect(sim, database)).status).toBe("ok");
    const after = await database.db.select().from(userCountDaily).orderBy(asc(userCountDaily.day));
    expect(after.length).toBe(before.length + 1);
    expect(after.slice(0, before.length - 1)).toEqual(before.slice(0, before.length - 1));
  });
});

describe("no rebuild on a server that already has history", () => {
  it("adds no past days when a daily row exists (an installation counting before this feature)", async () => {
    const database = await createTestDb();
    const sim = await startSimulator({ users: 10, seed: 3, now: () => T0 });
    try {
      await database.db.insert(userCountDaily).values({
        day: dayOf(T0 - 3 * DAY), takenAt: new Date(T0 - 3 * DAY), total: 9, deactivated: 0, admins: 1, regular: 9, bots: 0, support: 0, otherTypes: 0, shadowBanned: 0,
      });
      expect((await collect(sim, database)).status).toBe("ok");
      const daily = await database.db.select().from(userCountDaily);
      expect(daily.map((d) => d.day).sort()).toEqual([dayOf(T0 - 3 * DAY), dayOf(T0)]);
    } finally {
      await sim.close();
      await database.close();
    }
  });
});

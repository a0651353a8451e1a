// Issue 14, item 10: every overview card says "no data from a week ago" until a week of history exists. With 25
// minutes of federation history the "Federation failing" card used to compare with the oldest snapshot ("−1 vs a
// week ago"); one rule in loadKpis now drops any delta whose comparison point is not at least a week old.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import os from "node:os";
import { startSimulator, type Simulator } from "../simulator/index";
import { createTestDb, type TestDatabase } from "../helpers/db";
import { createHomeserverClient } from "../../app/homeserver/index";
import { federationSnapshots } from "../../db/schema";
import { collectFederation } from "../../app/services/federation/collect.server";
import { loadKpis, weekRule, type KpiProvider } from "../../app/services/overview/kpis.server";
import { federationKpis } from "../../app/services/federation/kpis.server";
import { loadConfig } from "../../app/config.server";

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);
const MIN = 60_000;
const DAY = 86_400_000;

let sim: Simulator;
let db: TestDatabase;
const config = loadConfig({ NODE_ENV: "test", HOMESERVER_URL: "http://127.0.0.1:9", SESSION_SECRET: "x".repeat(40), STEWARD_DATA_DIR: os.tmpdir() });

beforeAll(async () => {
  sim = await startSimulator({ users: 2, now: () => T0 });
  db = await createTestDb();
  const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken });
  await collectFederation({ db: db.db, hs, now: () => new Date(T0) });
});
afterAll(async () => {
  await sim?.close();
  await db?.close();
});

const failingCard = async () => (await loadKpis({ db: db.db, config, now: new Date(T0) }, [federationKpis])).find((k) => k.id === "federation.failing")!;

describe("the week-ago rule", () => {
  it("shows no delta on the federation card with 25 minutes of history", async () => {
    await db.db.insert(federationSnapshots).values({ takenAt: new Date(T0 - 25 * MIN), healthy: 0, backingOff: 50, retryDue: 0, dead: 0, total: 50 });
    const card = await failingCard();
    expect(card.value).toBeGreaterThan(0);
    expect(card.delta).toBeNull();
  });

  it("compares with the snapshot of a week ago once it exists", async () => {
    await db.db.insert(federationSnapshots).values({ takenAt: new Date(T0 - 8 * DAY), healthy: 0, backingOff: 50, retryDue: 0, dead: 0, total: 50 });
    const card = await failingCard();
    expect(card.delta).toBe(card.value! - 50);
  });

  it("applies to every provider: a delta against something younger than a week is dropped", async () => {
    const provider: KpiProvider = async ({ now }) => [
      { id: "users.total", label: "Accounts", value: 10, delta: 3, comparedAt: new Date(now.getTime() - 25 * MIN) },
      { id: "users.deactivated", label: "Deactivated", value: 1, delta: 1 },
      { id: "users.new_7d", label: "New", value: 4, delta: 2, comparedAt: new Date(now.getTime() - 7 * DAY) },
    ];
    const cards = await loadKpis({ db: db.db, config, now: new Date(T0) }, [provider]);
    expect(cards.find((c) => c.id === "users.total")!.delta).toBeNull();
    expect(cards.find((c) => c.id === "users.deactivated")!.delta).toBeNull();
    expect(cards.find((c) => c.id === "users.new_7d")!.delta).toBe(2);
    expect(weekRule({ id: "x", label: "x", value: 1, delta: undefined }, new Date(T0)).delta).toBeUndefined();
  });
});

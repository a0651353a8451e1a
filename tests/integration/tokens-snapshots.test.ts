/**
 * The "tokens" collector: one snapshot per token per day (the day's latest reading), record reconciliation as a side
 * effect, and a quiet pass (no failure) when the token API is not mounted (MAS).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import { createTestDb, type TestDatabase } from "../helpers/db";
import { createHomeserverClient } from "../../app/homeserver/index";
import { tokenHistory, tokensCollector } from "../../app/services/tokens/snapshots.server";
import { findCollector } from "../../app/services/collectors/registry.server";
import { tokenGauges } from "../../app/services/tokens/metrics.server";
import type { CollectorRunContext } from "../../app/services/collectors/framework.server";
import { registrationTokenRecords, registrationTokenSnapshots } from "../../db/schema";

let sim: Simulator;
let db: TestDatabase;
beforeAll(async () => {
  sim = await startSimulator({ users: 2, seed: 4 });
  db = await createTestDb();
});
afterAll(async () => {
  await db?.close();
  await sim?.close();
});

function runCtx(baseUrl: string, token: string, at: Date): CollectorRunContext {
  return {
    db: db.db,
    database: db,
    hs: createHomeserverClient({ baseUrl, accessToken: token }),
    config: {} as never,
    log: { info() {}, warn() {}, error() {}, debug() {} } as never,
    runId: 1,
    now: () => at,
    progress: async () => {},
    signal: new AbortController().signal,
  };
}

describe("tokens collector", () => {
  it("is registered under the name tokens", () => {
    expect(findCollector("tokens")).toBe(tokensCollector);
  });

  it("keeps one snapshot per token per day and reconciles the records", async () => {
    const day1 = new Date(Date.UTC(2026, 10, 20, 9));
    const r1 = await tokensCollector.run(runCtx(sim.url, sim.adminToken, day1));
    expect(r1.items).toBe(sim.state.registrationTokens.size);
    sim.state.registrationTokens.get("welcome-friends")!.completed += 2;
    await tokensCollector.run(runCtx(sim.url, sim.adminToken, new Date(day1.getTime() + 3600_000))); // same day: replaces
    sim.state.registrationTokens.get("welcome-friends")!.completed += 1;
    await tokensCollector.run(runCtx(sim.url, sim.adminToken, new Date(day1.getTime() + 86_400_000)));
    const history = await tokenHistory(db.db, "welcome-friends", new Date(day1.getTime() + 2 * 86_400_000));
    expect(history).toEqual([
      { day: "2026-11-20", completed: 5, pending: 0 },
      { day: "2026-11-21", completed: 6, pending: 0 },
    ]);
    const snapshots = await db.db.select().from(registrationTokenSnapshots);
    expect(snapshots).toHaveLength(2 * sim.state.registrationTokens.size);
    const records = await db.db.select().from(registrationTokenRecords);
    expect(records.map((r) => r.token).sort()).toEqual([...sim.state.registrationTokens.keys()].sort());
  });

  it("exposes token gauges by state, with the 0-uses hazard", async () => {
    const families = await tokenGauges(db.db, new Date());
    const byState = Object.fromEntries(families.find((f) => f.name === "steward_registration_tokens")!.samples.map((s) => [s.labels.state, s.value]));
    // Seeded: welcome-friends valid, book-club-2026 valid, family.only used up, old~summer~party expired, zero-uses-hazard used up.
    expect(byState).toEqual({ valid: 2, expired: 1, used_up: 2, revoked: 0 });
    expect(families.find((f) => f.name === "steward_registration_token_hazards")!.samples[0].value).toBe(1);
  });

  it("passes quietly under MAS", async () => {
    const mas = await startSimulator({ users: 1, mas: true });
    try {
      const r = await tokensCollector.run(runCtx(mas.url, mas.adminToken, new Date()));
      expect(r.items).toBe(0);
      expect(r.summary).toMatch(/not available/);
    } finally {
      await mas.close();
    }
  });
});

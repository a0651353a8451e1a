/**
 * /readyz reports the homeserver but never fails because of it: the status depends only on the database and on
 * shutdown. The homeserver probe (the unauthenticated client versions call) is short and cached, so probes from a
 * load balancer do not hammer the homeserver; the cache is driven by an injected clock, not by sleeping.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { TestClient } from "../helpers/http";
import { homeserverReadiness, READINESS_CACHE_MS } from "../../app/services/observability/homeserver-readiness.server";

let sim: Simulator;
let steward: TestSteward;

beforeAll(async () => {
  sim = await startSimulator({ users: 2 });
  steward = await startTestSteward({ homeserverUrl: sim.url });
});
afterAll(async () => {
  await steward?.close();
  await sim?.close();
});

interface Readiness {
  status: string;
  checks: Record<string, string>;
}
const versionsCalls = () => sim.requestLog.filter((r) => r.path === "/_matrix/client/versions").length;

describe("homeserver check (service, injected clock)", () => {
  it("probes once per few seconds, shares one request between concurrent probes, and follows the homeserver", async () => {
    const ctx = steward.context;
    const t0 = 1_000_000;
    const before = versionsCalls();
    expect(await Promise.all([homeserverReadiness(ctx, t0), homeserverReadiness(ctx, t0)])).toEqual(["ok", "ok"]);
    expect(await homeserverReadiness(ctx, t0 + READINESS_CACHE_MS - 1)).toBe("ok");
    expect(versionsCalls() - before).toBe(1);

    sim.injectFault({ kind: "drop", path: "/_matrix/client/versions" });
    try {
      // Past the cache: the previous answer comes back at once while a fresh probe runs; the next one sees it.
      expect(await homeserverReadiness(ctx, t0 + READINESS_CACHE_MS)).toBe("ok");
      await expect.poll(() => homeserverReadiness(ctx, t0 + READINESS_CACHE_MS + 1)).toMatch(/^unreachable: .*could not be reached/);
      expect(versionsCalls() - before).toBe(2);
    } finally {
      sim.clearFaults();
    }
    expect(await homeserverReadiness(ctx, t0 + 2 * READINESS_CACHE_MS)).toMatch(/^unreachable/);
    await expect.poll(() => homeserverReadiness(ctx, t0 + 2 * READINESS_CACHE_MS + 1)).toBe("ok");
  });
});

describe("/readyz", () => {
  it("answers 200 with the homeserver reported as unreachable while it is down (fault switch)", async () => {
    // A Steward of its own, so its first probe meets the fault (the probe's answer is cached per process).
    const other = await startTestSteward({ homeserverUrl: sim.url });
    sim.injectFault({ kind: "drop", path: "/" });
    try {
      const res = await new TestClient(other.url).get("/readyz");
      expect(res.status).toBe(200);
      const body = (await res.json()) as Readiness;
      expect(body.status).toBe("ready");
      expect(body.checks.database).toBe("ok");
      expect(body.checks.homeserver).toMatch(/^unreachable: The homeserver could not be reached at http:\/\/127\.0\.0\.1:\d+/);
    } finally {
      sim.clearFaults();
      await other.close();
    }
  });

  it("reports a healthy homeserver as ok, and still fails with 503 when the database is down", async () => {
    const c = new TestClient(steward.url);
    const ok = await c.get("/readyz");
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Readiness).checks).toMatchObject({ database: "ok", homeserver: "ok" });
    await steward.database.close();
    const down = await c.get("/readyz");
    expect(down.status).toBe(503);
    const body = (await down.json()) as Readiness;
    expect(body.status).toBe("not ready");
    expect(body.checks.database).toMatch(/^unavailable/);
    expect(body.checks.homeserver).toBe("ok"); // reported, and not what decides
  });
});

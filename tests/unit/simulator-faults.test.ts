// Fault injection, latency and the request log.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import { simFetch } from "../simulator/client";

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({ users: 3 });
});
afterEach(() => sim.close());

const USERS = "/_synapse/admin/v2/users";

describe("faults", () => {
  it("status500 answers 500 M_UNKNOWN, `times` limits it", async () => {
    sim.injectFault({ kind: "status500", path: USERS, times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await simFetch(sim, USERS)).status);
    expect(statuses).toEqual([500, 500, 200]);
  });

  it("garbage answers 200 with a body that is not JSON", async () => {
    sim.injectFault({ kind: "garbage", path: USERS });
    const r = await simFetch(sim, USERS);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.json).toBeUndefined();
  });

  it("html404 answers a proxy's text/html 404", async () => {
    sim.injectFault({ kind: "html404", path: "/_synapse/admin" });
    const r = await simFetch(sim, USERS);
    expect(r.status).toBe(404);
    expect(r.headers.get("content-type")).toMatch(/^text\/html/);
    expect(r.json).toBeUndefined();
  });

  it("drop destroys the socket", async () => {
    sim.injectFault({ kind: "drop", path: USERS, times: 1 });
    await expect(simFetch(sim, USERS)).rejects.toThrow();
    expect((await simFetch(sim, USERS)).status).toBe(200);
  });

  it("timeout never answers; the client gives up and close() still returns", async () => {
    sim.injectFault({ kind: "timeout", path: USERS });
    await expect(simFetch(sim, USERS, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    // A second hung request that is still open when we close.
    const pending = simFetch(sim, USERS).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await sim.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await pending).toBeInstanceOf(Error);
  });

  it("matches method and RegExp paths; clearFaults removes everything", async () => {
    sim.injectFault({ kind: "status500", path: /^\/_synapse\/admin\/v[23]\/users$/, method: "GET" });
    expect((await simFetch(sim, "/_synapse/admin/v3/users")).status).toBe(500);
    expect((await simFetch(sim, USERS, { method: "POST", body: {} })).status).toBe(405);
    expect((await simFetch(sim, "/_synapse/admin/v1/server_version")).status).toBe(200);
    sim.clearFaults();
    expect((await simFetch(sim, USERS)).status).toBe(200);
  });

  it("a query pattern picks one page of a list", async () => {
    sim.injectFault({ kind: "status500", path: USERS, query: /(^|&)from=2(&|$)/ });
    expect((await simFetch(sim, `${USERS}?from=0&limit=2`)).status).toBe(200);
    expect((await simFetch(sim, `${USERS}?from=2&limit=2`)).status).toBe(500);
    expect((await simFetch(sim, `${USERS}?limit=2&from=20`)).status).toBe(200);
  });
});

describe("latency and request log", () => {
  it("delays responses by the configured latency", async () => {
    sim.setLatency(150);
    const t = Date.now();
    await simFetch(sim, "/_synapse/admin/v1/server_version");
    expect(Date.now() - t).toBeGreaterThanOrEqual(140);
    sim.setLatency(0);
  });

  it("logs method, path, query, status and ms for every request (faulted ones included)", async () => {
    sim.injectFault({ kind: "drop", path: "/_matrix/client/v3/account/whoami", times: 1 });
    await simFetch(sim, USERS, { query: { limit: 2 } });
    await simFetch(sim, USERS, { query: { limit: 2, from: 2 } });
    await simFetch(sim, "/_matrix/client/v3/account/whoami").catch(() => undefined);
    const users = sim.requestLog.filter((e) => e.method === "GET" && e.path === USERS);
    expect(users).toHaveLength(2);
    expect(users.map((e) => e.query)).toEqual(["limit=2", "limit=2&from=2"]);
    expect(users.every((e) => e.status === 200 && e.ms >= 0)).toBe(true);
    const dropped = sim.requestLog.find((e) => e.path === "/_matrix/client/v3/account/whoami")!;
    expect([dropped.status, dropped.fault]).toEqual([0, "drop"]);
  });
});

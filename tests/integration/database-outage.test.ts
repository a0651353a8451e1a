/** When Steward's own database stops answering: a plain 503 page, readiness fails, liveness still answers. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { TestClient } from "../helpers/http";
import { usingPostgres } from "../helpers/db";
import pg from "pg";

let sim: Simulator;
let steward: TestSteward;

beforeAll(async () => {
  sim = await startSimulator({ users: 3 });
  steward = await startTestSteward({ homeserverUrl: sim.url });
});
afterAll(async () => {
  await steward?.close();
  await sim?.close();
});

describe("database outage", () => {
  // Runs first: the test below closes the database for good. The shared PostgreSQL server stays up; only Steward's
  // connections to its own test database are cut, as a server restart or failover would.
  it.skipIf(!usingPostgres)("recovers on PostgreSQL once the connections come back", async () => {
    const c = new TestClient(steward.url);
    expect((await c.signIn("admin", "admin", sim.url)).status).toBe(302);
    expect((await c.get("/audit")).status).toBe(200);
    const admin = new pg.Client({ connectionString: steward.database.url });
    await admin.connect();
    try {
      const cut = await admin.query("select pg_terminate_backend(pid) as ok from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()");
      expect(cut.rowCount).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    const statuses: number[] = [];
    for (let i = 0; i < 20 && statuses.at(-1) !== 200; i++) {
      const res = await c.get("/audit");
      statuses.push(res.status);
      await res.text();
    }
    // At most the requests that met a dead connection fail (plainly, 503); then the pool has fresh connections.
    expect(statuses.at(-1)).toBe(200);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(statuses.length).toBeLessThanOrEqual(6);
    expect((await c.get("/readyz")).status).toBe(200);
    expect((await c.get("/users")).status).toBe(200);
  });

  it("serves 503 pages and fails readiness, while liveness still answers", async () => {
    const c = new TestClient(steward.url);
    expect((await c.signIn("admin", "admin", sim.url)).status).toBe(302);
    expect((await c.get("/readyz")).status).toBe(200);
    // A page the page cache holds (decision 010) is not served without the session check the database answers.
    const html = { Accept: "text/html" };
    // After the test above cut every connection, the change feed reconnects by itself (backoff from 1 s).
    await expect.poll(() => steward.context.pageCache?.enabled, { timeout: 10_000 }).toBe(true);
    const first = await c.get("/users", html);
    expect(first.status).toBe(200);
    await first.text(); // stored once the whole answer has gone out
    const again = await c.get("/users", html);
    expect(again.headers.get("x-page-cache")).toBe("hit");
    await again.text();
    await steward.database.close(); // the database goes away under the running server
    const stored = await c.get("/users", html);
    expect(stored.status).toBe(503);
    expect(await stored.text()).toContain("database is not answering");
    const page = await c.get("/audit");
    expect(page.status).toBe(503);
    expect(page.headers.get("retry-after")).toBe("10");
    const text = await page.text();
    expect(text).toContain("database is not answering");
    expect(text).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    // Signing in needs the database too: the attempt is refused plainly, and nothing reaches the homeserver.
    const before = sim.requestLog.length;
    const login = await new TestClient(steward.url).signIn("admin", "admin", sim.url);
    expect(login.status).toBe(503);
    expect(sim.requestLog.length).toBe(before);
    const ready = await c.get("/readyz");
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: { database: string } }).checks.database).toMatch(/^unavailable/);
    expect((await c.get("/healthz")).status).toBe(200);
  });
});

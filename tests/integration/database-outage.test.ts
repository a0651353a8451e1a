/** When Steward's own database stops answering: a plain 503 page, readiness fails, liveness still answers. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { TestClient } from "../helpers/http";

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
  it("serves 503 pages and fails readiness, while liveness still answers", async () => {
    const c = new TestClient(steward.url);
    expect((await c.signIn("admin", "admin", sim.url)).status).toBe(302);
    expect((await c.get("/readyz")).status).toBe(200);
    await steward.database.close(); // the database goes away under the running server
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

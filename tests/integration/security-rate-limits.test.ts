/**
 * Rate limits are held in the database, so several replicas behind a load balancer share them: two Steward servers
 * on one PostgreSQL database, requests alternating between them, hit the /login limit and the public /register
 * limits (page views, form submissions, the username check) together — at the same count as one server would.
 *
 * PostgreSQL only: the embedded PGlite database is single-process by design (a lock file keeps a second server
 * out), so there is no second replica to share with; the single-server limits are covered in sign-in/register tests.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../db/client";
import { createTestDb, usingPostgres, type TestDatabase } from "../helpers/db";
import { TestClient } from "../helpers/http";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { startSimulator, type Simulator } from "../simulator/index";

const LOGIN_LIMIT = 10; // app/routes/login.tsx
const PUBLIC = { view: 30, submit: 10, available: 60 }; // PUBLIC_LIMITS in app/services/tokens/registration.server.ts

let sim: Simulator;
let a: TestSteward;
let b: TestSteward;

describe.skipIf(!usingPostgres)("rate limits across replicas (PostgreSQL; PGlite is single-process by design)", () => {
  beforeAll(async () => {
    sim = await startSimulator({ users: 3, seed: 9 });
    const shared = await createTestDb();
    // The second replica: its own connection pool on the same database.
    const second = (await openDatabase({ url: shared.url!, poolSize: 3 })) as TestDatabase;
    a = await startTestSteward({ homeserverUrl: sim.url, database: shared });
    b = await startTestSteward({ homeserverUrl: sim.url, database: second });
  });
  afterAll(async () => {
    await b?.close(); // closes only its pool
    await a?.close(); // closes and drops the shared database
    await sim?.close();
  });

  /** The client for the i-th request: alternating replicas, each with the cookies the user got so far. */
  const replicaFor = (i: number) => (i % 2 === 0 ? a : b);

  it("shares the /login limit", async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= LOGIN_LIMIT; i++) {
      const c = new TestClient(replicaFor(i).url);
      statuses.push((await c.signIn("admin", `wrong-${i}`, sim.url)).status);
    }
    expect(statuses.slice(0, LOGIN_LIMIT)).toEqual(Array(LOGIN_LIMIT).fill(400));
    expect(statuses[LOGIN_LIMIT]).toBe(429);
    // Now both replicas refuse, even the right password.
    for (const s of [a, b]) {
      const res = await new TestClient(s.url).signIn("admin", "admin", sim.url);
      expect(res.status).toBe(429);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    }
  });

  it("shares the public /register limits: views, submissions and the username check", async () => {
    const token = [...sim.state.registrationTokens.keys()][0];
    // One visitor whose requests the load balancer spreads over both replicas (same secret: same form token).
    const cookies = new Map<string, string>();
    const client = (i: number) => {
      const c = new TestClient(replicaFor(i).url);
      c.cookies = cookies;
      return c;
    };
    const first = await (await client(0).get(`/register?token=${encodeURIComponent(token)}`)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(first)![1];

    const views: number[] = [];
    for (let i = 1; i <= PUBLIC.view; i++) views.push((await client(i).get(`/register?token=${encodeURIComponent(token)}`)).status);
    expect(views.slice(0, PUBLIC.view - 1)).toEqual(Array(PUBLIC.view - 1).fill(200)); // the first view above counted too
    expect(views[PUBLIC.view - 1]).toBe(429);

    const submits: number[] = [];
    for (let i = 0; i <= PUBLIC.submit; i++) {
      // A taken name: the attempt reaches the homeserver (which refuses it), so it counts (issue 14: mistakes caught
      // by the page itself do not).
      const res = await client(i).postForm(`/register?index&token=${encodeURIComponent(token)}`, { csrf, token, username: "admin", password: "long-enough-1", confirm: "long-enough-1" });
      submits.push(res.status);
    }
    expect(submits.slice(0, PUBLIC.submit)).toEqual(Array(PUBLIC.submit).fill(400)); // "already taken", after counting
    expect(submits[PUBLIC.submit]).toBe(429);

    const checks: number[] = [];
    for (let i = 0; i <= PUBLIC.available; i++) {
      checks.push((await client(i).get(`/register/available?username=probe${i}`, { "X-Invite-Form": csrf })).status);
    }
    expect(checks.slice(0, PUBLIC.available)).toEqual(Array(PUBLIC.available).fill(200));
    expect(checks[PUBLIC.available]).toBe(429);

    expect([...sim.state.users.keys()].some((u) => u.startsWith("@probe"))).toBe(false); // nobody registered on the way
  });
});

/**
 * Issue 19, finding 1: Steward manages exactly one homeserver. A second simulator plays the attacker's homeserver
 * (its own admin, its own token). The attacker cannot get a session by naming their server, the sign-in form makes
 * no request anywhere but the configured homeserver (no port scanner), and when HOMESERVER_URL changes, the old
 * server's sessions end, the collectors stop using their tokens, and the admin is told whose history is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../app/config.server";
import { collectorToken } from "../../app/services/collectors/token.server";
import { TestClient } from "../helpers/http";
import { createTestDb, type TestDatabase } from "../helpers/db";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { startSimulator, type Simulator } from "../simulator/index";

let real: Simulator;
let attacker: Simulator;
let database: TestDatabase;
let steward: TestSteward | undefined;

beforeAll(async () => {
  [real, attacker] = await Promise.all([startSimulator({ users: 8, seed: 31 }), startSimulator({ users: 3, seed: 32 })]);
  database = await createTestDb();
});
afterAll(async () => {
  await steward?.close();
  await database?.close();
  await real?.close();
  await attacker?.close();
});

describe("one managed homeserver (issue 19, finding 1)", () => {
  it("Steward refuses to start without HOMESERVER_URL, also in production", () => {
    for (const NODE_ENV of ["production", "development", "test"]) {
      expect(() => loadConfig({ NODE_ENV, SESSION_SECRET: "q".repeat(40), STEWARD_DATA_DIR: "/tmp/steward-no-hs" })).toThrow(ConfigError);
    }
  });

  it("a sign-in naming the attacker's homeserver gets no session and reaches only the configured one", async () => {
    steward = await startTestSteward({ homeserverUrl: real.url, database, keepDatabase: true });
    const admin = new TestClient(steward.url);
    expect((await admin.signIn("admin", "admin")).status).toBe(302);
    expect((await admin.get("/users")).status).toBe(200);

    const before = attacker.requestLog.length;
    const mallory = new TestClient(steward.url);
    const page = await (await mallory.get("/login")).text();
    expect(page).not.toContain('name="homeserver"');
    expect(page).toContain(real.url);
    // The attacker's own admin token, with their server named in the post as the old form allowed.
    const res = await mallory.postForm("/login", { homeserver: attacker.url, mode: "token", accessToken: attacker.adminToken });
    expect(res.status).toBe(400);
    expect(mallory.cookies.has("steward_session")).toBe(false);
    for (const path of ["/users", "/security", "/audit", "/federation"]) expect((await mallory.get(path)).status).toBe(302);
    // Probing other addresses through the form: every target gets the same answer, and none is contacted.
    const answers = new Set<string>();
    for (const target of [attacker.url, "http://127.0.0.1:1", "https://example.invalid"]) {
      const r = await mallory.postForm("/login", { homeserver: target, mode: "token", accessToken: "syt_probe" });
      const html = await r.text();
      answers.add(`${r.status} ${/class="[^"]*error[^"]*"[^>]*>([^<]*)</.exec(html)?.[1] ?? html.slice(0, 200)}`);
    }
    expect(answers.size).toBe(1);
    expect(attacker.requestLog.length).toBe(before);
  }, 120_000);

  it("when HOMESERVER_URL changes, the old server's sessions end, collectors drop its token, and the admin is told", async () => {
    // Steward was serving `real` (the test above); its admin is signed in. Now it is pointed at another server.
    const admin = new TestClient(steward!.url);
    expect((await admin.signIn("admin", "admin")).status).toBe(302);
    const cookie = admin.cookies.get("steward_session")!;
    await steward!.close();
    steward = await startTestSteward({ homeserverUrl: attacker.url, database, keepDatabase: true });
    const again = new TestClient(steward.url);
    again.cookies.set("steward_session", cookie);
    const res = await again.get("/users");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toContain("/login");
    // The collectors find no token: the stored sessions were the other server's.
    const token = await collectorToken(steward.database.db, steward.config);
    expect(token.ok).toBe(false);
    // The new server's admin signs in and is told whose history the stored data is.
    const fresh = new TestClient(steward.url);
    expect((await fresh.postForm("/login", { mode: "token", accessToken: attacker.adminToken })).status).toBe(302);
    const home = await (await fresh.get("/")).text();
    expect(home).toContain("belongs to the previous homeserver");
    expect(home).toContain(real.url);
    await steward.close();
    steward = undefined;
  }, 120_000);
});

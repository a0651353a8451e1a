/**
 * `npm run demo -- --mas` (issue 16, item 9): the demo with the Synapse simulator delegating to the MAS simulator.
 * Runs scripts/demo.ts itself in a child process, as npm does, on a fresh data directory: it prints where Steward,
 * the homeserver and MAS are, replays the history with MAS's personal access token, the admin signs in through MAS's
 * login and consent pages (forms followed with fetch), a seeded user exists on both sides, and it stops cleanly.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startChild, type Child } from "../helpers/child";
import { TestClient } from "../helpers/http";
import { freePort, masSignIn } from "../helpers/mas";

let demo: Child;
let dataDir: string;
let stewardUrl: string;
let masUrl: string;
let simUrl: string;


beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-demo-mas-"));
  const port = await freePort();
  // The suite has built the app already (STEWARD_DEMO_NO_BUILD); three replayed days keep this quick.
  demo = startChild("scripts/demo.ts", ["--mas"], { PORT: String(port), STEWARD_DATA_DIR: dataDir, STEWARD_DEMO_NO_BUILD: "1", DEMO_USERS: "12", DEMO_HISTORY_DAYS: "3", HOMESERVER_URL: "", HOMESERVER_ADMIN_TOKEN: "" });
  stewardUrl = (await demo.waitForOutput(/Steward is running at (http:\/\/\S+)/, 90_000))[1].replace("localhost", "127.0.0.1");
  simUrl = (await demo.waitForOutput(/Demo homeserver \(simulator, Synapse 1\.157\.1 delegating to MAS\): (http:\/\/\S+)/, 5_000))[1];
  masUrl = (await demo.waitForOutput(/Authentication service \(MAS simulator\): (http:\/\/\S+)/, 5_000))[1];
}, 120_000);

afterAll(async () => {
  if (demo && demo.proc.exitCode === null) {
    demo.proc.kill("SIGTERM");
    await demo.exited;
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

it("prints where Steward, the homeserver and MAS are, and how to sign in; the history was replayed without failures", async () => {
  const out = demo.stdout();
  expect(out).toContain('Sign in with the authentication service: username "admin" and password "admin"');
  expect(out).toContain(`Invitees register at ${masUrl}/register`);
  expect(out).toMatch(/Replaying 3 days/);
  expect(out).toMatch(/\d+ collections in [\d.]+ s\.\n/);
  // The homeserver says it delegates, and where to.
  const meta = (await (await fetch(`${simUrl}/_matrix/client/v1/auth_metadata`)).json()) as { issuer: string };
  expect(meta.issuer).toBe(`${masUrl}/`);
  const login = await (await fetch(`${stewardUrl}/login`)).text();
  expect(login).toContain("Sign in with the authentication service");
});

it("signs the admin in through MAS's login and consent pages; a seeded user exists in MAS and in Steward's list", async () => {
  const c = new TestClient(stewardUrl);
  const trip = await masSignIn(c, { mas: { url: masUrl } }, "admin", "admin");
  expect(trip.res.status).toBe(302);
  expect(trip.callbackUrl).toMatch(/\/auth\/callback\?code=/);
  const home = await c.get("/");
  expect(home.status).toBe(200);
  expect(await home.text()).toContain("@admin:sim.test");
  // The replayed history stored the seeded accounts; pick a plain one and show MAS knows its password too.
  const users = (await (await c.get("/users?_data=routes%2F_app.users._index")).json()) as {
    rows: Array<{ userId: string; admin: boolean; deactivated: boolean; locked: boolean; isGuest: boolean; userType: string | null }>;
  };
  const plain = users.rows.find((u) => !u.admin && !u.deactivated && !u.locked && !u.isGuest && u.userType === null && !/^@\d+:/.test(u.userId))!;
  expect(plain).toBeDefined();
  const localpart = plain.userId.slice(1, plain.userId.indexOf(":"));
  // MAS accepts the seeded password and then refuses the admin scopes by policy: the account is there, not an admin.
  const refused = await masSignIn(new TestClient(stewardUrl), { mas: { url: masUrl } }, localpart, `${localpart}-pass`);
  expect(refused.masPage).toContain("denied by the policy");
}, 60_000);

it("stops on SIGTERM with exit code 0 and remembers both simulators' ports", async () => {
  demo.proc.kill("SIGTERM");
  expect(await demo.exited).toEqual({ code: 0, signal: null });
  expect(fs.readFileSync(path.join(dataDir, "demo-mas-port"), "utf8")).toBe(new URL(masUrl).port);
  expect(fs.readFileSync(path.join(dataDir, "demo-simulator-port"), "utf8")).toBe(new URL(simUrl).port);
  expect(fs.readdirSync(dataDir).filter((f) => f.includes("lock"))).toEqual([]);
}, 30_000);

/**
 * The README's first command: `npm run demo` starts Steward on the embedded database with the simulator, prints where
 * both are, signs in as admin/admin, and shows a healthy federation self-check (the simulated server delegates to the
 * simulator). Runs scripts/demo.ts itself in a child process, as npm does, on a fresh data directory.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startChild, type Child } from "../helpers/child";
import { TestClient } from "../helpers/http";
import { freePort } from "../helpers/mas";

let demo: Child;
let dataDir: string;
let stewardUrl: string;
let simUrl: string;
let port: number;
const demoEnv = () => ({ PORT: String(port), STEWARD_DATA_DIR: dataDir, STEWARD_DEMO_NO_BUILD: "1", DEMO_USERS: "12", DEMO_HISTORY_DAYS: "3", HOMESERVER_URL: "" });



beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-demo-"));
  port = await freePort();
  // The suite has built the app already; the demo's own build would rewrite files other test files are loading.
  // Three days of replayed history keep this test quick (the default is 90: demo-history.test.ts).
  demo = startChild("scripts/demo.ts", [], demoEnv());
  stewardUrl = (await demo.waitForOutput(/Steward is running at (http:\/\/\S+)/, 60_000))[1].replace("localhost", "127.0.0.1");
  simUrl = (await demo.waitForOutput(/Demo homeserver \(simulator\): (http:\/\/\S+)/, 5_000))[1];
}, 90_000);

afterAll(async () => {
  if (demo && demo.proc.exitCode === null) {
    demo.proc.kill("SIGTERM");
    await demo.exited;
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

it("prints where Steward and the simulator are", async () => {
  expect(demo.stdout()).toContain('Sign in with username "admin" and password "admin".');
  expect(demo.stdout()).toContain(`Embedded database in ${dataDir}.`);
  expect((await fetch(`${stewardUrl}/login`)).status).toBe(200);
});

it("signs in as admin/admin and its self-check of the simulated server passes", async () => {
  const c = new TestClient(stewardUrl);
  const signedIn = await c.signIn("admin", "admin", simUrl);
  expect(signedIn.status).toBe(302);
  const csrf = await c.csrfToken("/federation/self-check");
  const ran = await c.postForm("/federation/self-check?_data=routes%2F_app.federation.self-check", { csrf }, { "X-CSRF-Token": csrf });
  expect(ran.status).toBe(200);
  const page = (await (await c.get("/federation/self-check?_data=routes%2F_app.federation.self-check")).json()) as {
    latest: { status: string; results: Array<{ id: string; status: string; summary: string }> };
  };
  const failed = page.latest.results.filter((r) => r.status === "fail");
  expect(failed, JSON.stringify(failed)).toEqual([]);
  expect(page.latest.status).not.toBe("fail");
  expect(page.latest.results.filter((r) => r.status === "pass").length).toBeGreaterThanOrEqual(4);
}, 30_000);

it("stops on SIGTERM with exit code 0, closing the embedded database (its lock file is gone)", async () => {
  const lock = fs.readdirSync(dataDir).filter((f) => f.includes("lock"));
  expect(lock.length).toBeGreaterThan(0);
  demo.proc.kill("SIGTERM");
  expect(await demo.exited).toEqual({ code: 0, signal: null });
  expect(fs.readdirSync(dataDir).filter((f) => f.includes("lock"))).toEqual([]);
}, 30_000);

it("comes back after a restart on the same simulator address, so Steward sees the same homeserver and keeps its history", async () => {
  expect(demo.stdout()).toContain("Replaying 3 days");
  demo = startChild("scripts/demo.ts", [], demoEnv());
  try {
    await demo.waitForOutput(/Steward is running at (http:\/\/\S+)/, 60_000);
    const again = (await demo.waitForOutput(/Demo homeserver \(simulator\): (http:\/\/\S+)/, 5_000))[1];
    expect(again).toBe(simUrl);
    // A changed HOMESERVER_URL would end the sessions and log a warning (decision 019); the history is not replayed twice.
    expect(demo.stdout() + demo.stderr()).not.toContain("HOMESERVER_URL changed");
    expect(demo.stdout()).not.toContain("Replaying");
  } finally {
    demo.proc.kill("SIGTERM");
    expect(await demo.exited).toEqual({ code: 0, signal: null });
  }
}, 90_000);

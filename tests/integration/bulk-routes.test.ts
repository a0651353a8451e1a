// Bulk sign-out through the real server: the security report links to the preview, the preview lists every
// session with its name, last seen and address, one confirmation (CSRF, one-time form id, POST) starts the job in
// the background, and its page shows the outcome. A forged or missing CSRF token, a replayed form and a list that
// changed since the preview each change nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { createHomeserverClient } from "../../app/homeserver";
import { POSTURE_DEFAULTS } from "../../app/config.server";
import { runPostureScan } from "../../app/services/posture/scan.server";
import { auditEvents, userBulkItems, userBulkJobs } from "../../db/schema";
import { TestClient } from "../helpers/http";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { startSimulator, type Simulator } from "../simulator/index";
import { addDevice, addUser } from "../simulator/state";

const DAY = 86_400_000;
let sim: Simulator;
let steward: TestSteward;
let c: TestClient;
const USERS = ["@carol:sim.test", "@dave:sim.test"];

beforeAll(async () => {
  sim = await startSimulator({ users: 3, seed: 11 });
  for (const u of USERS) {
    addUser(sim.state, { localpart: u.slice(1, u.indexOf(":")), password: "pw-pw-pw" }, sim.clock.now());
    addDevice(sim.state, u, { device_id: "ATTIC", display_name: "Attic tablet", last_seen_ts: Date.now() - 120 * DAY, last_seen_ip: "192.0.2.44" });
    addDevice(sim.state, u, { device_id: "DAILY", display_name: "Daily phone", last_seen_ts: Date.now() - DAY, last_seen_ip: "192.0.2.45" });
  }
  steward = await startTestSteward({ homeserverUrl: sim.url });
  c = new TestClient(steward.url);
  expect((await c.signIn("admin", "admin")).status).toBe(302);
  const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken });
  await runPostureScan({ db: steward.database.db, hs, now: () => new Date(), settings: { ...POSTURE_DEFAULTS, staleDays: 90 } });
}, 120_000);
afterAll(async () => {
  await steward?.close();
  await sim?.close();
});

const PREVIEW = "/security/sign-out?q=sim.test&kind=stale&days=90";
const jobs = () => steward.database.db.select().from(userBulkJobs);
async function preview() {
  const html = (await (await c.get(PREVIEW)).text()).replaceAll("<!-- -->", "");
  const formId = /name="formId" value="([^"]+)"/.exec(html)![1];
  const expected = /name="expected" value="([^"]+)"/.exec(html)![1];
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1];
  return { html, formId, expected, csrf };
}
async function until(fn: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 600; i++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("bulk sign-out through the server", () => {
  it("links from the report to a preview that lists every session to end", async () => {
    const report = (await (await c.get("/security?q=sim.test")).text()).replaceAll("<!-- -->", "");
    expect(report).toContain("Sign out sessions unseen for more than 90 days");
    const { html } = await preview();
    for (const u of USERS) expect(html).toContain(u);
    expect(html).toContain("Attic tablet");
    expect(html).toContain("192.0.2.44");
    expect(html).not.toContain("Daily phone");
    expect(html).toMatch(/Yes: sign out these \d+ sessions/);
    // How long unseen is typed on the preview; a mistyped number is said beside the field.
    const longer = (await (await c.get("/security/sign-out?q=sim.test&kind=stale&days=150")).text()).replaceAll("<!-- -->", "");
    expect(longer).not.toContain("Attic tablet");
    const typo = (await (await c.get("/security/sign-out?q=sim.test&kind=stale&days=ninety")).text()).replaceAll("<!-- -->", "");
    expect(typo).toContain("Enter a whole number of days from 1 to 3650.");
  });

  it("refuses a forged or missing CSRF token and a changed list, changing nothing", async () => {
    const { formId, expected, csrf } = await preview();
    expect((await c.postForm(PREVIEW, { formId, expected, csrf: "forged" })).status).toBe(403);
    expect((await c.postForm(PREVIEW, { formId, expected })).status).toBe(403);
    const changed = await c.postForm(PREVIEW, { formId, expected: String(Number(expected) + 1), csrf });
    expect(changed.status).toBe(409);
    expect(await changed.text()).toContain("The list changed since you opened it");
    expect(await jobs()).toHaveLength(0);
    for (const u of USERS) expect(sim.state.devices.get(u)!.has("ATTIC")).toBe(true);
  });

  it("one confirmation starts the job; it runs in the background; a replayed form starts nothing", async () => {
    const none = (await (await c.get("/bulk")).text()).replaceAll("<!-- -->", "");
    expect(none).toContain("No bulk job has been started yet.");
    const { formId, expected, csrf } = await preview();
    const res = await c.postForm(PREVIEW, { formId, expected, csrf });
    expect(res.status).toBe(302);
    const to = res.headers.get("location")!;
    expect(to).toMatch(/^\/bulk\/\d+$/);
    const id = Number(to.split("/").pop());
    await until(async () => (await jobs()).find((j) => j.id === id)?.status === "done", "the job to finish");
    for (const u of USERS) {
      expect(sim.state.devices.get(u)!.has("ATTIC")).toBe(false);
      expect(sim.state.devices.get(u)!.has("DAILY")).toBe(true);
    }
    const page = (await (await c.get(to)).text()).replaceAll("<!-- -->", "");
    expect(page).toContain("Finished");
    expect(page).toContain("Attic tablet");
    const replay = await c.postForm(PREVIEW, { formId, expected, csrf });
    expect(replay.status).toBe(409);
    expect(await replay.text()).toContain("already submitted");
    expect(await jobs()).toHaveLength(1);
    const audit = await steward.database.db.select().from(auditEvents).where(eq(auditEvents.action, "user.bulk.sign-out-stale"));
    expect(audit.filter((a) => USERS.includes(a.target!)).map((a) => a.outcome)).toEqual(["ok", "ok"]);
    const log = (await (await c.get("/audit")).text()).replaceAll("<!-- -->", "");
    expect(log).toContain("signed out stale session");
    // The list of jobs finds it again: what it is, who confirmed it, where it stands, a link to its page.
    const list = (await (await c.get("/bulk")).text()).replaceAll("<!-- -->", "");
    const row = new RegExp(`<tr data-job="${id}">([^]*?)</tr>`).exec(list)?.[1] ?? "";
    expect(row).toContain(`href="/bulk/${id}"`);
    const items = await steward.database.db.select().from(userBulkItems).where(eq(userBulkItems.jobId, id));
    const users = new Set(items.map((i) => i.userId)).size;
    expect(users).toBeGreaterThanOrEqual(USERS.length);
    expect(row).toContain(`Sign-out of the sessions of ${users} users unseen for more than 90 days`);
    expect(row).toContain("@admin:sim.test");
    expect(row).toContain("Finished");
    expect(row).toContain(`${items.length} of ${items.length} sessions handled`);
    expect(list).not.toContain("No bulk job has been started yet.");
  });

  it("the report reflects the job at once", async () => {
    const html = (await (await c.get(PREVIEW)).text()).replaceAll("<!-- -->", "");
    expect(html).toContain("there is nothing to sign out");
    const report = (await (await c.get("/security?q=sim.test")).text()).replaceAll("<!-- -->", "");
    expect(report).toContain("No one in this filter has a session unseen for more than 90 days");
  });
});

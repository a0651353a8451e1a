// Bulk deactivation from the users page's filter, through the real server (issue 15, decision 020): the preview
// lists every account and says who is never included (the admin's own account, other server admins); one
// confirmation starts a job that deactivates each account as Synapse does, audited per account; a replayed form
// starts nothing; an account made admin since the preview is left alone.
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { createHomeserverClient } from "../../app/homeserver";
import { loadConfig } from "../../app/config.server";
import { runCollector } from "../../app/services/collectors/framework.server";
import { createLogger } from "../../app/services/observability/log.server";
import { userCountsCollector } from "../../app/services/users/counts-collector.server";
import { auditEvents, userBulkItems, userBulkJobs } from "../../db/schema";
import { TestClient } from "../helpers/http";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { startSimulator, type Simulator } from "../simulator/index";
import { addDevice, addUser } from "../simulator/state";

const DAY = 86_400_000;
let sim: Simulator;
let steward: TestSteward;
let c: TestClient;
const OLD = ["@ghost1:sim.test", "@ghost2:sim.test", "@ghost3:sim.test"];
const ADMIN_GHOST = "@ghostadmin:sim.test";
const NEW_GHOST = "@ghostnew:sim.test";

beforeAll(async () => {
  sim = await startSimulator({ users: 3, seed: 21 });
  const old = Date.now() - 200 * DAY;
  for (const u of [...OLD, ADMIN_GHOST]) {
    const su = addUser(sim.state, { localpart: u.slice(1, u.indexOf(":")), password: "pw-pw-pw" }, old);
    su.last_seen_ts = null;
    su.admin = u === ADMIN_GHOST;
    addDevice(sim.state, u, { device_id: "UNUSED" });
  }
  addUser(sim.state, { localpart: "ghostnew", password: "pw-pw-pw" }, Date.now() - 10 * DAY).last_seen_ts = null;
  steward = await startTestSteward({ homeserverUrl: sim.url });
  const config = loadConfig({ NODE_ENV: "test", HOMESERVER_URL: sim.url, SESSION_SECRET: "x".repeat(40), STEWARD_DATA_DIR: os.tmpdir() });
  const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken, maxRetries: 0 });
  expect((await runCollector({ database: steward.database, config, log: createLogger("error") }, userCountsCollector, hs, "cli")).status).toBe("ok");
  c = new TestClient(steward.url);
  expect((await c.signIn("admin", "admin")).status).toBe(302);
}, 120_000);
afterAll(async () => {
  await steward?.close();
  await sim?.close();
});

const PREVIEW = "/users/deactivate?filter=never_seen&days=30&q=ghost&created=90";
const strip = async (res: Response) => (await res.text()).replaceAll("<!-- -->", "");
async function preview() {
  const html = await strip(await c.get(PREVIEW));
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1] ?? "";
  return { html, formId: field("formId"), expected: field("expected"), csrf: field("csrf") };
}
async function until(fn: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 600; i++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("bulk deactivation through the server", () => {
  it("the users page links to a preview listing every account, admins and the admin's own account left out", async () => {
    expect(await strip(await c.get("/users?filter=never_seen&q=ghost"))).toContain("Deactivate the accounts in this filter");
    const { html } = await preview();
    for (const u of OLD) expect(html).toContain(u);
    expect(html).not.toContain(`${ADMIN_GHOST}</a>`);
    expect(html).not.toContain(NEW_GHOST); // created 10 days ago
    expect(html).toContain("1 server admin in this filter");
    expect(html).toContain("Yes: deactivate these 3 accounts");
    const bad = await strip(await c.get("/users/deactivate?filter=never_seen&created=soon"));
    expect(bad).toContain("Enter a whole number of days from 1 to 36500.");
  });

  it("refuses a forged CSRF token; one confirmation deactivates them; a replay starts nothing", async () => {
    const { formId, expected, csrf } = await preview();
    expect((await c.postForm(PREVIEW, { formId, expected, csrf: "forged" })).status).toBe(403);
    expect(await steward.database.db.select().from(userBulkJobs)).toHaveLength(0);
    // Made an admin after the preview: left alone when its turn comes.
    sim.state.users.get(OLD[2])!.admin = true;
    const res = await c.postForm(PREVIEW, { formId, expected, csrf });
    expect(res.status).toBe(302);
    const id = Number(res.headers.get("location")!.split("/").pop());
    await until(async () => (await steward.database.db.select().from(userBulkJobs).where(eq(userBulkJobs.id, id)))[0]?.status === "done", "the job to finish");
    expect(OLD.map((u) => sim.state.users.get(u)!.deactivated)).toEqual([true, true, false]);
    expect(sim.state.devices.get(OLD[0])?.size ?? 0).toBe(0); // deactivation signs every session out
    expect(sim.state.users.get(ADMIN_GHOST)!.deactivated).toBe(false);
    expect(sim.state.users.get("@admin:sim.test")!.deactivated).toBe(false);
    const items = await steward.database.db.select().from(userBulkItems).where(eq(userBulkItems.jobId, id));
    expect(items.find((i) => i.userId === OLD[2])).toMatchObject({ status: "skipped", reason: "A server admin: left alone." });
    const audit = await steward.database.db.select().from(auditEvents).where(eq(auditEvents.action, "user.bulk.deactivate"));
    expect(audit.map((a) => a.target).sort()).toEqual([OLD[0], OLD[1]]);
    expect(await strip(await c.get(`/bulk/${id}`))).toContain("2 done");
    // The users list shows them deactivated at once.
    const list = await strip(await c.get("/users?filter=deactivated&q=ghost"));
    expect(list).toContain(OLD[0]);
    expect(list).not.toContain(OLD[2]);
    const replay = await c.postForm(PREVIEW, { formId, expected, csrf });
    expect(replay.status).toBe(409);
    expect(await strip(replay)).toContain("already submitted");
    expect((await strip(await c.get("/audit"))).replace(/<[^>]+>/g, "")).toContain("deactivated @ghost1:sim.test in bulk job");
  });
});

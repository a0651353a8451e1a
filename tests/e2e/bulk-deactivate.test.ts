/**
 * Bulk deactivation in real Chromium against the real server and the simulator (issue 15): from the users list's
 * filter to the preview (exactly the accounts it will deactivate; the admin's own account and other admins said to
 * be left out), one confirmation, the job's page following the progress to "Finished", the homeserver's state
 * changed as Synapse's would, the users list showing them deactivated, the audit log saying it in words. Once more
 * with JavaScript disabled: the forms and the job page's self-refresh work without it.
 */
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createHomeserverClient } from "../../app/homeserver";
import { loadConfig } from "../../app/config.server";
import { runCollector } from "../../app/services/collectors/framework.server";
import { createLogger } from "../../app/services/observability/log.server";
import { userCountsCollector } from "../../app/services/users/counts-collector.server";
import { artifactPath, haveChromium, launchBrowser } from "../helpers/browser";
import { startSimulator, type Simulator } from "../simulator/index";
import { addDevice, addUser } from "../simulator/state";
import { startTestSteward, type TestSteward } from "../helpers/steward";

const DAY = 86_400_000;
// Two independent sets, one per run (with and without JavaScript), each with a never-seen admin in the filter.
const JS = { q: "ghosta", users: ["@ghosta1:sim.test", "@ghosta2:sim.test", "@ghosta3:sim.test"], admin: "@ghostaadmin:sim.test", recent: "@ghostanew:sim.test" };
const NOJS = { q: "ghostb", users: ["@ghostb1:sim.test", "@ghostb2:sim.test"], admin: "@ghostbadmin:sim.test", recent: "@ghostbnew:sim.test" };
const SELF = "@admin:sim.test";

describe.skipIf(!haveChromium)("bulk deactivation in a browser", () => {
  let sim: Simulator;
  let steward: TestSteward;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;

  beforeAll(async () => {
    sim = await startSimulator({ users: 2, seed: 15 });
    const old = Date.now() - 200 * DAY;
    for (const set of [JS, NOJS]) {
      for (const u of [...set.users, set.admin]) {
        const su = addUser(sim.state, { localpart: u.slice(1, u.indexOf(":")), password: "pw-pw-pw" }, old);
        su.last_seen_ts = null;
        su.admin = u === set.admin;
        addDevice(sim.state, u, { device_id: "UNUSED" });
      }
      // Never seen too, but created 10 days ago: outside "created more than 90 days ago".
      addUser(sim.state, { localpart: set.recent.slice(1, set.recent.indexOf(":")), password: "pw-pw-pw" }, Date.now() - 10 * DAY).last_seen_ts = null;
    }
    steward = await startTestSteward({ homeserverUrl: sim.url });
    const config = loadConfig({ NODE_ENV: "test", HOMESERVER_URL: sim.url, SESSION_SECRET: "x".repeat(40), STEWARD_DATA_DIR: os.tmpdir() });
    const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken, maxRetries: 0 });
    expect((await runCollector({ database: steward.database, config, log: createLogger("error") }, userCountsCollector, hs, "cli")).status).toBe("ok");
    ({ browser, close: closeBrowser } = await launchBrowser());
  }, 180_000); // starting Steward and Chromium on a machine shared with other test runs
  afterAll(async () => {
    await closeBrowser?.();
    await steward?.close();
    await sim?.close();
  });

  async function signedIn(javaScriptEnabled: boolean): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 1000 }, javaScriptEnabled });
    const page = await context.newPage();
    await page.goto(steward.url + "/login");
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("admin");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(steward.url + "/");
    return { context, page };
  }

  /** The users list filtered to never-seen accounts matching the set, through its form. */
  async function filterUsers(page: Page, set: typeof JS) {
    await page.goto(`${steward.url}/users`);
    await page.getByLabel("Search").fill(set.q);
    await page.getByLabel("Show").selectOption("never_seen");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL(/\/users\?.*filter=never_seen/);
    // Wait for the filtered list to render (with JavaScript the address changes first), then check it.
    await page.locator(`[data-testid="bulk-deactivate"][href*="filter=never_seen"][href*="q=${set.q}"]`).waitFor();
    const listed = await page.getByTestId("users-table").textContent();
    for (const u of [...set.users, set.admin, set.recent]) expect(listed).toContain(u);
  }

  /** The preview, narrowed to accounts created more than 90 days ago through its own form. */
  async function openPreview(page: Page, set: typeof JS) {
    await filterUsers(page, set);
    await page.getByTestId("bulk-deactivate").click();
    await page.waitForURL(/\/users\/deactivate\?/);
    // Before narrowing, the recently created never-seen account is in the list.
    expect(await page.getByTestId("bulk-items").textContent()).toContain(set.recent);
    await page.getByLabel("Only accounts created more than … days ago").fill("90");
    await page.getByRole("button", { name: "Update the list" }).click();
    await page.waitForURL(/\/users\/deactivate\?.*created=90/);
    const n = set.users.length;
    // With JavaScript the address changes before React has rendered the narrowed list: wait for it, then read.
    await page.getByRole("heading", { level: 1, name: `Deactivate ${n} accounts`, exact: true }).waitFor();
    expect(await page.getByTestId("bulk-filter").textContent()).toContain(`Never seen, matching “${set.q}”, created more than 90 days ago`);
    const rows = await page.getByTestId("bulk-items").locator("tbody tr td:first-child").allTextContents();
    expect(rows.map((r) => r.trim()).sort()).toEqual([...set.users].sort());
    const leftOut = (await page.getByTestId("left-out").textContent())!;
    expect(leftOut).toContain("your own account");
    expect(leftOut).toContain("1 server admin in this filter");
    expect(await page.getByTestId("confirm-bulk").textContent()).toBe(`Yes: deactivate these ${n} accounts`);
  }

  async function confirmAndFinish(page: Page, set: typeof JS, o: { confirmed?: boolean } = {}) {
    if (!o.confirmed) {
      await page.getByTestId("confirm-bulk").click();
      await page.waitForURL(/\/bulk\/\d+$/);
    }
    // The page reloads itself (a meta refresh) while the job runs; it ends "Finished".
    await page.getByTestId("bulk-status").getByText("Finished").waitFor({ timeout: 120_000 });
    await page.waitForLoadState("load"); // the last reload's document parsed to its end, not read half-way
    const n = set.users.length;
    // Once confirmed it is no longer a command: the job page names what it did.
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(`Deactivation of ${n} accounts`);
    expect(await page.getByTestId("bulk-status").textContent()).toContain(`${n} of ${n} accounts handled (100%)`);
    expect(await page.getByTestId("bulk-counts").textContent()).toContain(`${n} done`);
    const outcome = (await page.getByTestId("bulk-items").textContent())!;
    for (const u of set.users) expect(outcome).toContain(u);
  }

  async function assertDeactivated(page: Page, set: typeof JS) {
    for (const u of set.users) {
      expect(sim.state.users.get(u)!.deactivated).toBe(true);
      expect(sim.state.devices.get(u)?.size ?? 0).toBe(0); // deactivation signs every session out
    }
    expect(sim.state.users.get(set.recent)!.deactivated).toBe(false);
    for (const u of sim.state.users.values()) if (u.admin) expect(u.deactivated).toBe(false);
    expect(sim.state.users.get(SELF)!.deactivated).toBe(false);

    await page.goto(`${steward.url}/users?filter=deactivated&q=${set.q}`);
    const listed = (await page.getByTestId("users-table").locator("tbody tr").allTextContents()).map((r) => r.replace(/\s+/g, " "));
    expect(listed).toHaveLength(set.users.length);
    for (const [i, u] of [...set.users].sort().entries()) {
      expect(listed[i]).toContain(u);
      expect(listed[i]).toContain("deactivated");
    }

    await page.goto(`${steward.url}/audit`);
    const audit = (await page.locator("main").textContent())!;
    for (const u of set.users) expect(audit).toMatch(new RegExp(`@admin:sim\\.test\\s*deactivated\\s*${u.replace(/[.]/g, "\\.")}\\s*in\\s*bulk job \\d+`));
    expect(audit).not.toContain(`deactivated ${set.admin}`);
  }

  it("with JavaScript: filter → preview → confirm → progress → finished, the homeserver and the audit log agree", async () => {
    const { context, page } = await signedIn(true);
    await openPreview(page, JS);
    await page.screenshot({ path: artifactPath("bulk-deactivate-preview.png"), fullPage: true });
    await confirmAndFinish(page, JS);
    await page.screenshot({ path: artifactPath("bulk-deactivate-done.png"), fullPage: true });
    await assertDeactivated(page, JS);
    await page.screenshot({ path: artifactPath("bulk-deactivate-audit.png"), fullPage: true });
    // The other set was untouched.
    for (const u of NOJS.users) expect(sim.state.users.get(u)!.deactivated).toBe(false);
    await context.close();
  }, 240_000);

  it("without JavaScript: the same, through plain forms and the page's own refresh", async () => {
    const { context, page } = await signedIn(false);
    await openPreview(page, NOJS);
    await page.screenshot({ path: artifactPath("bulk-deactivate-preview-nojs.png"), fullPage: true });
    // A slow homeserver (every request takes 5 s) keeps the job running while its page is open, so the page must
    // follow it by reloading itself: a meta refresh, no script.
    let loads = 0;
    page.on("framenavigated", (f) => {
      if (f === page.mainFrame() && /\/bulk\/\d+$/.test(f.url())) loads++;
    });
    sim.setLatency(5_000);
    try {
      await page.getByTestId("confirm-bulk").click();
      await page.waitForURL(/\/bulk\/\d+$/);
      expect(await page.getByTestId("bulk-status").textContent()).toMatch(/^(Running|Waiting to start)/);
      expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(1);
      await confirmAndFinish(page, NOJS, { confirmed: true });
    } finally {
      sim.setLatency(0);
    }
    expect(loads).toBeGreaterThan(1);
    expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(0); // a finished job stops reloading
    await page.screenshot({ path: artifactPath("bulk-deactivate-done-nojs.png"), fullPage: true });
    await assertDeactivated(page, NOJS);
    await context.close();
  }, 240_000);
});

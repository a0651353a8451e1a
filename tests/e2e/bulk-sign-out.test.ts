/**
 * Bulk sign-out in real Chromium against the real server and the simulator: from the security report's filter to
 * the preview (every session named, with last seen and address), one confirmation, the job's page following the
 * progress to the end, the homeserver's state changed, the audit log saying it in words.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { createHomeserverClient } from "../../app/homeserver";
import { POSTURE_DEFAULTS } from "../../app/config.server";
import { runPostureScan } from "../../app/services/posture/scan.server";
import { artifactPath, haveChromium, launchBrowser, openSignedInPage } from "../helpers/browser";
import { startSimulator, type Simulator } from "../simulator/index";
import { addDevice, addUser } from "../simulator/state";
import { startTestSteward, type TestSteward } from "../helpers/steward";

const DAY = 86_400_000;
const USERS = Array.from({ length: 6 }, (_, i) => `@tess${i + 1}:sim.test`);

describe.skipIf(!haveChromium)("bulk sign-out in a browser", () => {
  let sim: Simulator;
  let steward: TestSteward;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let page: Page;

  beforeAll(async () => {
    sim = await startSimulator({ users: 2, seed: 5 });
    for (const [i, u] of USERS.entries()) {
      addUser(sim.state, { localpart: u.slice(1, u.indexOf(":")), password: "pw-pw-pw", displayname: `Tess ${i + 1}` }, sim.clock.now());
      addDevice(sim.state, u, { device_id: "OLDTAB", display_name: "Old tablet", last_seen_ts: Date.now() - (100 + i) * DAY, last_seen_ip: `198.51.100.${i + 1}` });
      addDevice(sim.state, u, { device_id: "PHONE", display_name: "Phone", last_seen_ts: Date.now() - DAY, last_seen_ip: "198.51.100.200" });
    }
    steward = await startTestSteward({ homeserverUrl: sim.url });
    const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken });
    await runPostureScan({ db: steward.database.db, hs, now: () => new Date(), settings: { ...POSTURE_DEFAULTS, staleDays: 90 } });
    ({ browser, close: closeBrowser } = await launchBrowser());
    page = await openSignedInPage(browser, steward.url);
  }, 180_000); // starting Steward and Chromium on a machine shared with other test runs
  afterAll(async () => {
    await closeBrowser?.();
    await steward?.close();
    await sim?.close();
  });

  it("preview → confirm → progress → done, and the audit log says it in words", async () => {
    await page.goto(`${steward.url}/security?q=tess`);
    await page.getByTestId("bulk-stale").click();
    await page.waitForURL(/\/security\/sign-out\?/);
    // The address changes before the preview is drawn (the report's own heading is still there): wait for it.
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent(), { timeout: 15_000 }).toBe("Sign out the sessions of 6 users unseen for more than 90 days");
    const table = (await page.getByTestId("bulk-items").textContent())!;
    for (const u of USERS) expect(table).toContain(u);
    expect(table).toContain("Old tablet");
    expect(table).toContain("198.51.100.3");
    expect(table).not.toContain("Phone");
    await page.screenshot({ path: artifactPath("bulk-sign-out-preview.png"), fullPage: true });

    await page.getByTestId("confirm-bulk").click();
    await page.waitForURL(/\/bulk\/\d+$/);
    // The page reloads itself while the job runs; it ends "Finished".
    await page.getByText("Finished", { exact: false }).first().waitFor({ timeout: 120_000 });
    // Once confirmed it is no longer a command: the job page names what it did.
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Sign-out of the sessions of 6 users unseen for more than 90 days");
    expect(await page.getByTestId("bulk-status").textContent()).toContain("6 of 6 sessions handled (100%)");
    await page.screenshot({ path: artifactPath("bulk-sign-out-done.png"), fullPage: true });
    for (const u of USERS) expect([...sim.state.devices.get(u)!.keys()]).toEqual(["PHONE"]);

    // The job is found again from the list of bulk jobs.
    await page.getByRole("link", { name: "All bulk jobs" }).click();
    await page.waitForURL(/\/bulk$/);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Bulk jobs");
    const jobRow = (await page.getByTestId("bulk-jobs").locator("tbody tr").first().textContent())!;
    expect(jobRow).toContain("Sign-out of the sessions of 6 users unseen for more than 90 days");
    expect(jobRow).toContain("6 of 6 sessions handled");
    await page.screenshot({ path: artifactPath("bulk-jobs.png"), fullPage: true });

    await page.goto(`${steward.url}/audit`);
    const audit = (await page.locator("main").textContent())!;
    expect(audit).toMatch(/@admin:sim\.test\s*signed out stale session\s*OLDTAB\s*of\s*@tess\d:sim\.test\s*in\s*bulk job \d+/);
    await page.screenshot({ path: artifactPath("bulk-sign-out-audit.png"), fullPage: true });
  }, 240_000);
});

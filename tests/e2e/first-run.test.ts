/**
 * What a new admin meets (issue 14, item 26), in real Chromium:
 * - a new installation: the overview says the first collection is on its way and fills in by itself when it
 *   finishes (no reload), with "Accounts over time" rebuilt from creation times and the note saying what that cannot
 *   know; without JavaScript the notice says to reload;
 * - the demo's replayed past: the charts are lines over months.
 * Screenshots: test-artifacts/first-run-*.png.
 */
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { haveChromium, launchBrowser, artifactPath } from "../helpers/browser";
import { startSimulator, type Simulator } from "../simulator/index";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { loadConfig } from "../../app/config.server";
import { createLogger } from "../../app/services/observability/log.server";
import { runCollector } from "../../app/services/collectors/framework.server";
import { userCountsCollector } from "../../app/services/users/counts-collector.server";
import { createHomeserverClient } from "../../app/homeserver/index";
import { seedDemoHistory } from "../../scripts/demo-history";

async function signIn(page: Page, url: string) {
  await page.goto(url + "/");
  await page.waitForURL(/\/login/);
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill("admin");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(url + "/");
}

describe.skipIf(!haveChromium)("first run in a browser", () => {
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  beforeAll(async () => {
    ({ browser, close: closeBrowser } = await launchBrowser());
  });
  afterAll(async () => {
    await closeBrowser?.();
  });

  describe("a new installation", () => {
    let sim: Simulator;
    let steward: TestSteward;
    beforeAll(async () => {
      sim = await startSimulator({ users: 40, seed: 26 });
      steward = await startTestSteward({ homeserverUrl: sim.url });
    });
    afterAll(async () => {
      await steward?.close();
      await sim?.close();
    });

    it("says the first collection is coming, then fills in by itself when it finishes", async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
      const page = await context.newPage();
      await signIn(page, steward.url);
      const notice = page.getByTestId("first-collection");
      // The server renders the no-JavaScript wording; once hydrated, the page says it will fill in by itself.
      await expect.poll(() => notice.textContent(), { timeout: 20_000 }).toMatch(/This page fills in by itself when the first collection finishes/);
      expect(await page.getByTestId("chart-accounts").textContent()).toMatch(/No snapshots in this range yet/);
      // All three charts say the same thing, rather than one drawing empty axes.
      expect(await page.getByTestId("chart-registrations").textContent()).toMatch(/No snapshots in this range yet/);
      // A mark on the window: it survives a data reload but not a page load.
      await page.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));
      await page.screenshot({ path: artifactPath("first-run-before.png"), fullPage: true });

      // The first collection (as the scheduler would run it) finishes while the page is open.
      const config = loadConfig({ NODE_ENV: "test", HOMESERVER_URL: sim.url, SESSION_SECRET: "x".repeat(40), STEWARD_DATA_DIR: os.tmpdir() });
      const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken, maxRetries: 0 });
      expect((await runCollector({ database: steward.database, config, log: createLogger("error") }, userCountsCollector, hs, "schedule")).status).toBe("ok");

      await notice.waitFor({ state: "detached", timeout: 30_000 });
      expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
      const total = page.locator('[data-kpi="users.total"]');
      expect(await total.locator(".value").textContent()).toBe(String(sim.state.users.size));
      // "Accounts over time" has the 30 days before the first count, rebuilt from creation times, and says so.
      const accounts = page.getByTestId("chart-accounts");
      await expect.poll(() => accounts.locator(".recharts-line-curve").count(), { timeout: 10_000 }).toBeGreaterThan(0);
      const d = await accounts.locator(".recharts-line-curve").first().getAttribute("d");
      expect(d?.split(/[LC]/).length ?? 0).toBeGreaterThan(20);
      expect(await page.getByTestId("accounts-rebuilt-note").textContent()).toMatch(/deactivations and activity are unknown/);
      await page.screenshot({ path: artifactPath("first-run-after.png"), fullPage: true });
      await context.close();
    }, 90_000);

    it("without JavaScript, says to reload", async () => {
      const fresh = await startTestSteward({ homeserverUrl: sim.url });
      try {
        const context = await browser.newContext({ javaScriptEnabled: false });
        const page = await context.newPage();
        await page.goto(fresh.url + "/login");
        await page.getByLabel("Username").fill("admin");
        await page.getByLabel("Password").fill("admin");
        await page.getByRole("button", { name: "Sign in" }).click();
        await page.waitForURL(fresh.url + "/");
        expect(await page.getByTestId("first-collection").textContent()).toMatch(/Reload this page when the first collection has finished/);
        await context.close();
      } finally {
        await fresh.close();
      }
    }, 60_000);
  });

  describe("the demo's replayed past", () => {
    let sim: Simulator;
    let steward: TestSteward;
    beforeAll(async () => {
      sim = await startSimulator({ users: 40, seed: 1 });
      steward = await startTestSteward({ homeserverUrl: sim.url });
      await seedDemoHistory({ database: steward.database, config: steward.config, sim, days: 90, seed: 1 });
    }, 300_000);
    afterAll(async () => {
      await steward?.close();
      await sim?.close();
    });

    it("draws lines over months, not dots", async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
      const page = await context.newPage();
      await signIn(page, steward.url);
      expect(await page.getByTestId("first-collection").count()).toBe(0);
      await page.getByRole("navigation", { name: "Range" }).getByRole("link", { name: "1 year" }).click();
      await page.waitForURL(/range=1y/);
      for (const [chart, minPoints] of [["chart-accounts", 300], ["chart-active", 60]] as const) {
        const line = page.getByTestId(chart).locator(".recharts-line-curve").first();
        await expect.poll(() => line.count(), { timeout: 10_000 }).toBe(1);
        // The address changes before the year's data is drawn: wait for the redrawn line, not the month's.
        await expect.poll(async () => (await line.getAttribute("d"))?.split(/[LC]/).length ?? 0, { message: chart, timeout: 15_000 }).toBeGreaterThan(minPoints);
      }
      await page.screenshot({ path: artifactPath("first-run-demo-overview.png"), fullPage: true });
      // Federation states over the last week, as the replayed collections saw them.
      await page.goto(steward.url + "/federation");
      await expect.poll(() => page.getByTestId("state-chart").locator(".recharts-area-curve").count(), { timeout: 10_000 }).toBeGreaterThan(0);
      await page.screenshot({ path: artifactPath("first-run-demo-federation.png"), fullPage: true });
      // Security posture: one point per weekly scan over the three months.
      await page.goto(steward.url + "/security");
      const posture = page.getByTestId("posture-chart").locator(".recharts-line-curve").first();
      await expect.poll(() => posture.count(), { timeout: 10_000 }).toBe(1);
      expect((await posture.getAttribute("d"))?.split(/[LC]/).length ?? 0).toBeGreaterThan(10);
      await page.screenshot({ path: artifactPath("first-run-demo-security.png"), fullPage: true });
      await context.close();
    }, 90_000);
  });
});

/**
 * The overview in real Chromium: ten days of user-count history (collected against the simulator with its clock
 * driven day by day) render as KPI cards and recharts charts after hydration; the range selector works; the
 * stale banner explains old data; leaving for another page, the charts give way to a picture of themselves while the
 * next page's data is on its way (a range tab keeps them live). Screenshot: test-artifacts/overview.png.
 */
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { haveChromium, launchBrowser, artifactPath } from "../helpers/browser";
import { addUser, startSimulator, type Simulator } from "../simulator/index";
import { listedAsValid } from "../simulator/state-tokens";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { loadConfig } from "../../app/config.server";
import { createLogger } from "../../app/services/observability/log.server";
import { runCollector } from "../../app/services/collectors/framework.server";
import { userCountsCollector } from "../../app/services/users/counts-collector.server";
import { createHomeserverClient } from "../../app/homeserver/index";

const DAY = 86_400_000;

describe.skipIf(!haveChromium)("overview in a browser", () => {
  let sim: Simulator;
  let steward: TestSteward;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  const totals: number[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const now = Date.now();
    sim = await startSimulator({ users: 40, seed: 21, now: () => now });
    steward = await startTestSteward({ homeserverUrl: sim.url });
    // Ten days of history: a few new accounts each day, one collection per day.
    const config = loadConfig({ NODE_ENV: "test", HOMESERVER_URL: sim.url, SESSION_SECRET: "x".repeat(40), STEWARD_DATA_DIR: os.tmpdir() });
    const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken, maxRetries: 0 });
    for (let d = 9; d >= 0; d--) {
      sim.clock.set(now - d * DAY);
      for (let i = 0; i < 3; i++) addUser(sim.state, { localpart: `day${d}-user${i}`, last_seen_ts: now - d * DAY }, now - d * DAY);
      const outcome = await runCollector({ database: steward.database, config, log: createLogger("error"), now: () => new Date(sim.clock.now()) }, userCountsCollector, hs, "cli");
      expect(outcome.status).toBe("ok");
      totals.push(sim.state.users.size);
    }
    sim.clock.set(now);
    ({ browser, close: closeBrowser } = await launchBrowser());
    const context = await browser.newContext({ viewport: { width: 1280, height: 1600 } });
    page = await context.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") pageErrors.push(m.text());
    });
    await page.goto(steward.url + "/");
    await page.waitForURL(/\/login/);
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("admin");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(steward.url + "/");
  });
  afterAll(async () => {
    await closeBrowser?.();
    await steward?.close();
    await sim?.close();
  });

  it("shows the KPI cards with their change over a week", async () => {
    const total = page.locator('[data-kpi="users.total"]');
    await expect.poll(() => total.locator(".value").textContent()).toBe(new Intl.NumberFormat("en-GB").format(totals.at(-1)!));
    // Seven days before the last snapshot the total was totals[2]; three accounts a day since.
    expect(await total.locator(".delta").textContent()).toBe(`+${totals.at(-1)! - totals[2]} vs a week ago`);
    expect(await page.locator('[data-kpi="federation.failing"]').count()).toBe(1);
  });

  it("fills the tokens card once the token list was read, counting what the homeserver lists as valid", async () => {
    const card = page.locator('[data-kpi="tokens.valid"]');
    expect(await card.textContent()).toMatch(/No token list read yet/);
    await page.goto(steward.url + "/tokens");
    await page.getByTestId("tokens-table").waitFor();
    await page.goto(steward.url + "/");
    const now = sim.clock.now();
    const expected = [...sim.state.registrationTokens.values()].filter((t) => listedAsValid(t, now)).length;
    expect(expected).toBeGreaterThan(0);
    await expect.poll(() => card.locator(".value").textContent()).toBe(String(expected));
    // The seeded `uses_allowed: 0` token is called out on the card.
    expect(await card.textContent()).toMatch(/1 with 0 uses allowed still admits registrations/);
  });

  it("draws the charts with data after hydration", async () => {
    const accounts = page.getByTestId("chart-accounts");
    await expect.poll(() => accounts.locator("svg.recharts-surface").count(), { timeout: 10_000 }).toBeGreaterThan(0);
    // One line per series, drawn through every daily point (dots are drawn when there are few points).
    await expect.poll(() => accounts.locator(".recharts-line-curve").count()).toBe(2);
    const d = await accounts.locator(".recharts-line-curve").first().getAttribute("d");
    expect(d?.split(/[LC]/).length ?? 0).toBeGreaterThan(5);
    await expect.poll(() => page.getByTestId("chart-active").locator(".recharts-line-curve").count()).toBe(3);
    await expect.poll(() => page.getByTestId("chart-registrations").locator(".recharts-bar-rectangle").count()).toBeGreaterThan(0);
    await page.screenshot({ path: artifactPath("overview.png"), fullPage: true });
  });

  it("switches range and keeps drawing", async () => {
    await page.getByRole("navigation", { name: "Range" }).getByRole("link", { name: "7 days" }).click();
    await page.waitForURL(/range=7d/);
    await expect.poll(() => page.getByTestId("chart-accounts").locator(".recharts-line-curve").count()).toBe(2);
    expect(await page.getByRole("heading", { name: "Registrations per day" }).count()).toBe(1);
    await page.getByRole("navigation", { name: "Range" }).getByRole("link", { name: "1 year" }).click();
    await page.waitForURL(/range=1y/);
    await expect.poll(() => page.getByRole("heading", { name: "Registrations per week" }).count()).toBe(1);
  });

  it("while the next page's data is on its way, each chart is a picture of itself; a range tab keeps the live charts", async () => {
    await page.goto(steward.url + "/");
    await page.waitForSelector("html[data-hydrated=true]");
    const ids = ["chart-accounts", "chart-active", "chart-registrations"];
    for (const id of ids) await expect.poll(() => page.getByTestId(id).locator(".recharts-wrapper > svg.recharts-surface").count(), { timeout: 10_000 }).toBe(1);
    // A range tab stays on the page: the charts stay live while its data loads.
    let release: () => void = () => {};
    await page.route(/_data=routes%2F_app\._index/, async (route) => {
      await new Promise<void>((r) => (release = r));
      await route.continue();
    });
    await page.getByRole("navigation", { name: "Range" }).getByRole("link", { name: "30 days" }).click();
    await page.waitForTimeout(300);
    expect(await page.locator("[data-chart-picture]").count()).toBe(0);
    release();
    await page.waitForURL(/range=30d/);
    await page.unroute(/_data=routes%2F_app\._index/);
    await expect.poll(() => page.getByTestId("chart-accounts").locator(".recharts-line-curve").count()).toBe(2);
    const now = await Promise.all(ids.map((id) => page.getByTestId(id).locator(".recharts-wrapper > svg.recharts-surface").evaluate((svg) => svg.outerHTML)));
    // Leaving for the users list, held at the server: the same pictures stand in for the charts.
    await page.route(/_data=routes%2F_app\.users\._index/, async (route) => {
      await new Promise<void>((r) => (release = r));
      await route.continue();
    });
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).click();
    await expect.poll(() => page.locator("[data-chart-picture]").count()).toBe(3);
    for (const [i, id] of ids.entries()) {
      const picture = page.getByTestId(id).locator("[data-chart-picture] .recharts-wrapper > svg.recharts-surface");
      expect(await picture.evaluate((svg) => svg.outerHTML)).toBe(now[i]);
    }
    release();
    await page.waitForURL(/\/users$/);
    await expect.poll(() => page.getByTestId("users-table").count()).toBe(1);
    await page.unroute(/_data=routes%2F_app\.users\._index/);
  });

  it("when the next page's data is already here (the pointer rested on its link), the charts are not swapped for pictures", async () => {
    await page.goto(steward.url + "/");
    await page.waitForSelector("html[data-hydrated=true]");
    for (const id of ["chart-accounts", "chart-active", "chart-registrations"]) {
      await expect.poll(() => page.getByTestId(id).locator(".recharts-wrapper > svg.recharts-surface").count(), { timeout: 10_000 }).toBe(1);
    }
    await page.evaluate(() => {
      const w = window as unknown as { pictures: number };
      w.pictures = 0;
      new MutationObserver(() => (w.pictures += document.querySelectorAll("[data-chart-picture]").length)).observe(document.body, { childList: true, subtree: true });
    });
    const link = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" });
    const answered = page.waitForResponse((r) => r.url().includes("_data=routes%2F_app.users._index"));
    await link.hover();
    await answered;
    await page.waitForTimeout(100);
    await link.click();
    await page.waitForURL(/\/users$/);
    await expect.poll(() => page.getByTestId("users-table").count(), { timeout: 10_000 }).toBe(1);
    expect(await page.evaluate(() => (window as unknown as { pictures: number }).pictures)).toBe(0);
  });
});

/**
 * The overview in real Chromium: ten days of user-count history (collected against the simulator with its clock
 * driven day by day) render as KPI cards and recharts charts after hydration; the range selector works; the
 * stale banner explains old data; leaving for another page, the charts leave with the page and their own React roots
 * are torn down after the next page is drawn. Screenshot: test-artifacts/overview.png.
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
    // The legend reads shortest window first, not sorted by label ("1 day, 30 days, 7 days").
    expect(await page.getByTestId("chart-active").locator(".recharts-legend-item-text").allInnerTexts()).toEqual(["1 day", "7 days", "30 days"]);
    expect(await accounts.locator(".recharts-legend-item-text").allInnerTexts()).toEqual(["Accounts", "Deactivated"]);
    await expect.poll(() => page.getByTestId("chart-registrations").locator(".recharts-bar-rectangle").count()).toBeGreaterThan(0);
    // Each chart lives in a React root of its own (ChartRoot): its events still work — a tooltip under the pointer.
    const box = (await accounts.locator(".recharts-wrapper > svg.recharts-surface").boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    await expect.poll(() => accounts.locator(".recharts-tooltip-wrapper").innerText(), { timeout: 10_000 }).toMatch(/Accounts : \d+/);
    // Its moment is written as Steward writes times elsewhere, not as an ISO string.
    const label = await accounts.locator(".recharts-tooltip-wrapper .recharts-tooltip-label").innerText();
    expect(label).toMatch(/^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC$/);
    await page.screenshot({ path: artifactPath("overview.png"), fullPage: true });
  });

  it("draws each chart once, at its box's width (not at a default width first, then again)", async () => {
    await page.addInitScript(() => {
      const w = window as unknown as { chartWidths: string[] };
      w.chartWidths = [];
      new MutationObserver(() => {
        const svg = document.querySelector('[data-testid="chart-accounts"] .recharts-wrapper > svg.recharts-surface');
        const width = svg?.getAttribute("width");
        if (width && w.chartWidths.at(-1) !== width) w.chartWidths.push(width);
      }).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ["width"] });
    });
    await page.goto(steward.url + "/");
    const accounts = page.getByTestId("chart-accounts");
    await expect.poll(() => accounts.locator(".recharts-line-curve").count(), { timeout: 10_000 }).toBe(2);
    await page.waitForTimeout(300);
    const box = (await accounts.locator("[data-chart-root]").boundingBox())!;
    expect(await page.evaluate(() => (window as unknown as { chartWidths: string[] }).chartWidths)).toEqual([String(Math.round(box.width))]);
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

  it("leaving the overview, the charts go with the page at once and are torn down after the next page is drawn", async () => {
    await page.goto(steward.url + "/");
    await page.waitForSelector("html[data-hydrated=true]");
    const ids = ["chart-accounts", "chart-active", "chart-registrations"];
    for (const id of ids) await expect.poll(() => page.getByTestId(id).locator(".recharts-wrapper > svg.recharts-surface").count(), { timeout: 10_000 }).toBe(1);
    const boxes = await Promise.all(ids.map((id) => page.getByTestId(id).locator("[data-chart-root]").elementHandle()));
    // The moment the users list is on the page: are the charts off the page, and still whole (not yet torn down)?
    await page.evaluate((charts) => {
      const w = window as unknown as { chartsWhenListShown: boolean[] | null };
      w.chartsWhenListShown = null;
      const seen = new MutationObserver(() => {
        if (!document.querySelector('[data-testid="users-table"]')) return;
        w.chartsWhenListShown = charts.map((box) => !!box && !box.isConnected && box.querySelector("svg.recharts-surface") !== null);
        seen.disconnect();
      });
      seen.observe(document.body, { childList: true, subtree: true });
    }, boxes);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).click();
    await page.waitForURL(/\/users$/);
    await expect.poll(() => page.getByTestId("users-table").count(), { timeout: 10_000 }).toBe(1);
    expect(await page.evaluate(() => (window as unknown as { chartsWhenListShown: boolean[] | null }).chartsWhenListShown)).toEqual([true, true, true]);
    // Then each chart's own root is unmounted (its observers and store let go): its box is emptied.
    await expect.poll(() => page.evaluate((charts) => charts.map((box) => box?.childNodes.length), boxes), { timeout: 10_000 }).toEqual([0, 0, 0]);
    expect(await page.locator("[data-chart-root]").count()).toBe(0);
  });
});

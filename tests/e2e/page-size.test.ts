/**
 * Rows per page (issue 18) in real Chromium: 50 / 100 / 500 / 1,000 on the users list, with and without JavaScript;
 * the choice is remembered per admin (a new browser profile signed in as the same admin gets it, the federation and
 * security lists use it too); a size that is not offered is ignored. Screenshot: test-artifacts/users-page-size.png.
 */
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { haveChromium, launchBrowser, artifactPath } from "../helpers/browser";
import { addUser, startSimulator, type Simulator } from "../simulator/index";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { loadConfig } from "../../app/config.server";
import { createLogger } from "../../app/services/observability/log.server";
import { runCollector } from "../../app/services/collectors/framework.server";
import { userCountsCollector } from "../../app/services/users/counts-collector.server";
import { createHomeserverClient } from "../../app/homeserver/index";

describe.skipIf(!haveChromium)("rows per page in a browser", () => {
  let sim: Simulator;
  let steward: TestSteward;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let stored = 0;
  const pageErrors: string[] = [];

  async function signedIn(javaScriptEnabled: boolean): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 1000 }, javaScriptEnabled });
    const page = await context.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(steward.url + "/login");
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("admin");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(steward.url + "/");
    return { context, page };
  }
  const rows = (page: Page) => page.getByTestId("users-table").locator("tbody tr");
  const current = (page: Page) => page.getByTestId("page-size").locator('[aria-current="true"]');

  beforeAll(async () => {
    sim = await startSimulator({ users: 4, seed: 3 });
    for (let i = 0; i < 130; i++) addUser(sim.state, { localpart: `member${String(i).padStart(3, "0")}` }, sim.clock.now());
    steward = await startTestSteward({ homeserverUrl: sim.url });
    const config = loadConfig({ NODE_ENV: "test", HOMESERVER_URL: sim.url, SESSION_SECRET: "x".repeat(40), STEWARD_DATA_DIR: os.tmpdir() });
    const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken, maxRetries: 0 });
    const outcome = await runCollector({ database: steward.database, config, log: createLogger("error") }, userCountsCollector, hs, "cli");
    expect(outcome.status).toBe("ok");
    ({ browser, close: closeBrowser } = await launchBrowser());
  }, 120_000);
  afterAll(async () => {
    await closeBrowser?.();
    await steward?.close();
    await sim?.close();
  });

  it("shows 50 rows, then 100 after a click, and keeps 100 for this admin in another browser profile and on the other lists", async () => {
    const { context, page } = await signedIn(true);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).click();
    await page.waitForURL(steward.url + "/users");
    await expect.poll(() => rows(page).count()).toBe(50);
    expect(await current(page).textContent()).toBe("50");
    expect(await page.getByTestId("page-size").textContent()).toBe("Rows per page:501005001,000");

    await page.getByTestId("page-size").getByRole("link", { name: "100", exact: true }).click();
    await page.waitForURL(/\/users\?size=100$/);
    await expect.poll(() => rows(page).count()).toBe(100);
    expect(await current(page).textContent()).toBe("100");
    const pager = (await page.locator(".pager").textContent()) ?? "";
    expect(pager).toMatch(/Page 1 of 2 · \d+ in all/);
    stored = Number(/(\d+) in all/.exec(pager)![1]);
    expect(stored).toBeGreaterThan(130);
    await page.screenshot({ path: artifactPath("users-page-size.png"), fullPage: false });

    // Next page keeps the size; the list without ?size= shows the remembered one.
    await page.locator(".pager").getByRole("link", { name: "Next →" }).click();
    await page.waitForURL(/page=2/);
    await expect.poll(() => rows(page).count()).toBe(stored - 100);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Federation" }).click();
    await page.waitForURL(steward.url + "/federation");
    expect(await current(page).textContent()).toBe("100");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Security" }).click();
    await page.waitForURL(steward.url + "/security");
    expect(await current(page).textContent()).toBe("100");
    await context.close();

    const other = await signedIn(true);
    await other.page.goto(steward.url + "/users");
    await expect.poll(() => rows(other.page).count()).toBe(100);
    // A size that is not offered is ignored: the remembered one stays.
    await other.page.goto(steward.url + "/users?size=7");
    await expect.poll(() => rows(other.page).count()).toBe(100);
    await other.context.close();
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it("works without JavaScript: the links are plain links, the size is remembered", async () => {
    const { context, page } = await signedIn(false);
    await page.goto(steward.url + "/users");
    await page.getByTestId("page-size").getByRole("link", { name: "500", exact: true }).click();
    await page.waitForURL(/\/users\?size=500$/);
    expect(await rows(page).count()).toBe(stored);
    expect(await current(page).textContent()).toBe("500");
    await page.goto(steward.url + "/users?q=member");
    expect(await rows(page).count()).toBe(130);
    await page.getByTestId("page-size").getByRole("link", { name: "50", exact: true }).click();
    await page.waitForURL(/\/users\?q=member&size=50$/);
    expect(await rows(page).count()).toBe(50);
    await page.goto(steward.url + "/users");
    expect(await rows(page).count()).toBe(50);
    await context.close();
  }, 120_000);

  it("after a click, draws a list's first screenful with the page and the rest a frame later; a loaded page has every row", async () => {
    const { context, page } = await signedIn(true);
    await page.goto(steward.url + "/users?size=100"); // remembered for this admin
    await page.goto(steward.url + "/audit");
    await page.waitForSelector("html[data-hydrated=true]");
    // Row counts of the first frames that show the users list, from a frame loop started before the click.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { rowsSeen: number[] }).rowsSeen = seen;
      // Every frame until the whole page is drawn (how many frames the rest takes depends on the machine's load).
      const tick = () => {
        const n = document.querySelectorAll('[data-testid="users-table"] tbody tr').length;
        if (n) seen.push(n);
        if (n < 100 && seen.length < 1000) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).click();
    await expect.poll(() => rows(page).count(), { timeout: 10_000 }).toBe(100);
    await expect.poll(() => page.evaluate(() => (window as unknown as { rowsSeen: number[] }).rowsSeen.at(-1)), { timeout: 10_000 }).toBe(100);
    const seen = await page.evaluate(() => (window as unknown as { rowsSeen: number[] }).rowsSeen);
    // The first pass: the rows a 1,000-pixel window shows below the list's least offset (250 px), at 33 px a row;
    // then the rest at once, in a later frame.
    const first = Math.ceil((1000 - 250) / 33);
    expect(seen[0]).toBe(first);
    expect([...new Set(seen)]).toEqual([first, 100]);
    // The rows drawn later are the page's own, in order, after the first ones.
    const names = await rows(page).locator("td:first-child a").allTextContents();
    expect(new Set(names).size).toBe(100);
    // Loaded by URL, the server's HTML already holds every row (and hydration keeps them): the same rows.
    const html = await (await page.request.get(steward.url + "/users")).text();
    expect(html.match(/<a href="\/users\/%40[^"]*" data-discover="true" data-client-nav=""/g)?.length).toBe(100);
    await page.goto(steward.url + "/users");
    expect(await rows(page).locator("td:first-child a").allTextContents()).toEqual(names);
    // Back to a list scrolled far down: every row is drawn at once, so the position is restored, not cut short.
    await page.waitForSelector("html[data-hydrated=true]");
    await rows(page).nth(90).scrollIntoViewIfNeeded();
    const scrolled = await page.evaluate(() => window.scrollY);
    expect(scrolled).toBeGreaterThan(2000);
    await rows(page).nth(90).locator("a").first().click();
    await page.waitForURL(/\/users\/%40/);
    await page.locator("main h1").waitFor();
    await page.goBack();
    await page.waitForURL(steward.url + "/users");
    await expect.poll(() => rows(page).count(), { timeout: 10_000 }).toBe(100);
    await expect.poll(() => page.evaluate(() => window.scrollY), { timeout: 10_000 }).toBeGreaterThan(scrolled - 50);
    expect(await page.evaluate(() => window.scrollY)).toBeLessThan(scrolled + 50);
    await context.close();
  }, 60_000);
});

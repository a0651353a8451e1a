/**
 * What an admin reads, in real Chromium (issue 14, items 9, 10, 12, 16, 22, 23): past events in the past tense,
 * "no data from a week ago" with little history, words instead of slugs and symbols, user pages that say what
 * they are, right-to-left overrides isolated, and the users list's refusals. Screenshots in test-artifacts/words-*.png.
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
import { postureCollector } from "../../app/services/posture/collector.server";
import { createHomeserverClient } from "../../app/homeserver/index";
import { federationSnapshots } from "../../db/schema";

const MIN = 60_000;
const RLO_NAME = "Mallory \u202egnp.exe";

describe.skipIf(!haveChromium)("words an admin reads", () => {
  let sim: Simulator;
  let steward: TestSteward;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  let mallory: string;
  let deactivated: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const now = Date.now();
    sim = await startSimulator({ users: 60, seed: 5, now: () => now });
    const victim = [...sim.state.users.values()].find((u) => !u.admin && !u.deactivated && !u.is_guest && !u.user_type && !u.locked)!;
    victim.displayname = RLO_NAME;
    mallory = victim.name;
    deactivated = [...sim.state.users.values()].find((u) => u.deactivated)!.name;
    steward = await startTestSteward({ homeserverUrl: sim.url });
    const config = loadConfig({ NODE_ENV: "test", HOMESERVER_URL: sim.url, SESSION_SECRET: "x".repeat(40), STEWARD_DATA_DIR: os.tmpdir() });
    const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken, maxRetries: 0 });
    const deps = { database: steward.database, config, log: createLogger("error") };
    // The posture scan first; then the user counts, stamped 3 min ahead of this machine's clock (another clock
    // than the browser's, as the database's or the homeserver's can be).
    expect((await runCollector({ ...deps, now: () => new Date(now) }, postureCollector, hs, "cli")).status).toBe("ok");
    expect((await runCollector({ ...deps, now: () => new Date(now + 3 * MIN) }, userCountsCollector, hs, "cli")).status).toBe("ok");
    // 25 minutes of federation history, with a different failing count then.
    await steward.database.db.insert(federationSnapshots).values([
      { takenAt: new Date(now - 25 * MIN), healthy: 0, backingOff: 4, retryDue: 0, dead: 0, total: 4 },
      { takenAt: new Date(now), healthy: 0, backingOff: 0, retryDue: 0, dead: 0, total: 0 },
    ]);
    ({ browser, close: closeBrowser } = await launchBrowser());
    const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
    page = await context.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(steward.url + "/");
    await page.waitForURL(/\/login/);
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("admin");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(steward.url + "/");
  }, 240_000);
  afterAll(async () => {
    await closeBrowser?.();
    await steward?.close();
    await sim?.close();
  });

  it("writes a count taken a moment ago in the past tense (item 9)", async () => {
    const counted = page.getByText(/^Counted /);
    // After hydration the relative time replaces the absolute one.
    await expect.poll(async () => (await counted.textContent()) ?? "", { timeout: 10_000 }).toMatch(/Counted just now/);
    expect(await page.locator("main").textContent()).not.toMatch(/in under a minute/);
  });

  it("says 'no data from a week ago' on every card with less than a week of history (item 10)", async () => {
    const card = page.locator('[data-kpi="federation.failing"]');
    await card.waitFor();
    expect(await card.textContent()).toContain("no data from a week ago");
    expect(await page.getByTestId("kpi-cards").textContent()).not.toMatch(/vs a week ago/);
    await page.screenshot({ path: artifactPath("words-overview.png"), fullPage: true });
  });

  it("isolates a right-to-left override in a display name (item 22)", async () => {
    const leaks = async () =>
      page.evaluate((rlo) => {
        const out: string[] = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          // Text a person sees (the hydration data in <script> carries the name too, unrendered).
          if (!n.textContent?.includes(rlo) || n.parentElement?.closest("script, style, template")) continue;
          let el = n.parentElement;
          let isolated = false;
          while (el && el !== document.body) {
            const ub = getComputedStyle(el).unicodeBidi;
            if (el.tagName === "BDI" || ub === "isolate" || ub === "isolate-override" || ub === "plaintext") {
              isolated = true;
              break;
            }
            el = el.parentElement;
          }
          if (!isolated) out.push(n.parentElement?.outerHTML.slice(0, 120) ?? "?");
        }
        return out;
      }, "\u202e");
    for (const path of ["/users?q=mallory", `/users?q=${encodeURIComponent(mallory.slice(1, 6))}`, `/users/${encodeURIComponent(mallory)}`, "/security?include=deactivated"]) {
      await page.goto(steward.url + path);
      expect(await leaks(), path).toEqual([]);
    }
    await page.goto(`${steward.url}/users/${encodeURIComponent(mallory)}`);
    expect(await page.getByTestId("displayname").evaluate((e) => e.tagName)).toBe("BDI");
  });

  it("gives a deactivated user no verdict and no nudge link (item 16)", async () => {
    await page.goto(`${steward.url}/users/${encodeURIComponent(deactivated)}`);
    const slot = page.locator('[data-slot="posture"]');
    await slot.waitFor();
    expect(await slot.textContent()).toContain("no security verdict and cannot be nudged");
    expect(await slot.textContent()).not.toMatch(/Not fully secured/);
    expect(await page.getByRole("link", { name: "Nudge this user" }).count()).toBe(0);
  });

  it("shows scan history in words, not symbols (item 12)", async () => {
    const other = [...sim.state.users.values()].find((u) => !u.admin && !u.deactivated && !u.is_guest && !u.user_type && !u.locked && u.name !== mallory)!;
    await page.goto(`${steward.url}/users/${encodeURIComponent(other.name)}`);
    expect(await page.locator('[data-slot="posture"]').textContent()).not.toMatch(/[✓✗]/);
  });

  it("says what /users/<remote> and /users/garbage are (item 16)", async () => {
    const remote = await page.goto(`${steward.url}/users/${encodeURIComponent("@someone:other.server")}`);
    expect(remote?.status()).toBe(404);
    expect(await page.getByTestId("not-a-user").textContent()).toContain("Not a user of this server");
    expect(await page.locator("main").textContent()).not.toMatch(/M_UNKNOWN|HTTP 400|guests are not scanned/);
    const garbage = await page.goto(`${steward.url}/users/garbage`);
    expect(garbage?.status()).toBe(404);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Not a Matrix user ID");
    expect(await page.locator("main").textContent()).not.toMatch(/Error 400/);
    await page.screenshot({ path: artifactPath("words-not-a-user.png") });
  });

  it("refuses a search over 200 characters and says when a page is past the end (item 23)", async () => {
    await page.goto(`${steward.url}/users?q=${"a".repeat(201)}`);
    expect(await page.getByRole("alert").first().textContent()).toContain("Search for at most 200 characters");
    expect(await page.getByTestId("users-table").count()).toBe(0);
    await page.goto(`${steward.url}/users?page=999`);
    const notice = page.getByTestId("past-the-end");
    expect(await notice.textContent()).toMatch(/Page 999 is past the end: there (is|are) \d+ pages?/);
    await notice.getByRole("link").click();
    await page.waitForURL(/page=[12]\b/);
    // With JavaScript the address changes before the new page's rows are drawn: wait for them.
    await expect.poll(() => page.getByTestId("users-table").locator("tbody tr").count(), { timeout: 15_000 }).toBeGreaterThan(0);
    // Lists sorted by name page with Previous / Next, not Newer / Older.
    expect(await page.getByRole("navigation", { name: "Pages" }).textContent()).toMatch(/Previous.*Next/);
    await page.screenshot({ path: artifactPath("words-users.png") });
  });

  it("shows no slugs on the self-check and security pages (item 12)", async () => {
    await page.goto(`${steward.url}/security`);
    expect(await page.locator("main").textContent()).not.toMatch(/homeserver requests per user/);
    expect(pageErrors).toEqual([]);
  });
});

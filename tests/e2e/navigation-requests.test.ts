/**
 * What a click costs (issue 18), in real Chromium: paging a list asks the server for its data once (the shell's
 * loader does not run again on a GET navigation); resting the pointer on a navigation link preloads that page's
 * JavaScript; the sign-in page preloads the page it leads to (the overview's chart code); moving between two pages
 * with the same collector's "Refresh now" does not ask for its status again; any in-app link (a user's row, a menu
 * entry reached by keyboard) preloads its page's modules; a pointer resting on a link or a search's Apply button asks
 * for that page's data once, and the click uses it (never after a post: decision 028); a list row's link (a plain anchor, not
 * <Link>) opens its page client-side on a plain click and leaves a modified click (new tab) to the browser.
 */
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { haveChromium, launchBrowser } from "../helpers/browser";
import { addUser, startSimulator, type Simulator } from "../simulator/index";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { loadConfig } from "../../app/config.server";
import { createLogger } from "../../app/services/observability/log.server";
import { runCollector } from "../../app/services/collectors/framework.server";
import { userCountsCollector } from "../../app/services/users/counts-collector.server";
import { createHomeserverClient } from "../../app/homeserver/index";

describe.skipIf(!haveChromium)("requests per navigation", () => {
  let sim: Simulator;
  let steward: TestSteward;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  const requests: string[] = [];
  const hydrated = () => page.waitForFunction(() => document.documentElement.dataset.hydrated === "true");
  // With lazy route discovery the manifest learns a route when a link to it renders: wait for it.
  const moduleOf = async (id: string) => {
    await page.waitForFunction((r) => Boolean((window as unknown as { __remixManifest: { routes: Record<string, unknown> } }).__remixManifest.routes[r]), id);
    return page.evaluate((r) => (window as unknown as { __remixManifest: { routes: Record<string, { module: string }> } }).__remixManifest.routes[r].module, id);
  };
  /** On the users list, types a search and rests the pointer on Apply until the search's data has been asked for. */
  const restOnApply = async (q: string) => {
    await page.goto(steward.url + "/users");
    await hydrated();
    await page.fill("#users-q", q);
    requests.length = 0;
    const apply = page.getByRole("button", { name: "Apply" });
    await apply.hover();
    await expect.poll(() => requests.filter((r) => r.includes("_data=")), { timeout: 10_000 }).toHaveLength(1);
    return apply;
  };
  const preloads = () => page.evaluate(() => [...document.querySelectorAll('link[rel="modulepreload"]')].map((l) => l.getAttribute("href") ?? ""));

  beforeAll(async () => {
    sim = await startSimulator({ users: 4, seed: 7 });
    for (let i = 0; i < 70; i++) addUser(sim.state, { localpart: `person${String(i).padStart(2, "0")}` }, sim.clock.now());
    steward = await startTestSteward({ homeserverUrl: sim.url });
    const config = loadConfig({ NODE_ENV: "test", HOMESERVER_URL: sim.url, SESSION_SECRET: "x".repeat(40), STEWARD_DATA_DIR: os.tmpdir() });
    const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken, maxRetries: 0 });
    expect((await runCollector({ database: steward.database, config, log: createLogger("error") }, userCountsCollector, hs, "cli")).status).toBe("ok");
    ({ browser, close: closeBrowser } = await launchBrowser());
    const context = await browser.newContext({ viewport: { width: 1200, height: 1000 } });
    page = await context.newPage();
    page.on("request", (r) => requests.push(r.url().replace(steward.url, "")));
  }, 120_000);
  afterAll(async () => {
    await closeBrowser?.();
    await steward?.close();
    await sim?.close();
  });

  it("the sign-in page preloads the overview's modules before the admin signs in", async () => {
    await page.goto(steward.url + "/login");
    await hydrated();
    const overview = await moduleOf("routes/_app._index");
    await expect.poll(preloads).toContain(overview);
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("admin");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(steward.url + "/");
    await page.getByTestId("chart-accounts").locator('svg.recharts-surface[role="application"]').waitFor();
  }, 60_000);

  it("signing in to another page: the sign-in page learns that page's route and preloads its modules", async () => {
    const other = await browser.newContext({ viewport: { width: 1200, height: 1000 } });
    try {
      const p = await other.newPage();
      await p.goto(steward.url + "/login?next=%2Fusers%3Fpage%3D2");
      await p.waitForSelector("html[data-hydrated=true]");
      // Known to the manifest only through the sign-in page's hint: there is no link to it there.
      await p.waitForFunction(() => Boolean((window as unknown as { __remixManifest: { routes: Record<string, unknown> } }).__remixManifest.routes["routes/_app.users._index"]));
      const users = await p.evaluate(() => (window as unknown as { __remixManifest: { routes: Record<string, { module: string }> } }).__remixManifest.routes["routes/_app.users._index"].module);
      await expect.poll(() => p.evaluate(() => [...document.querySelectorAll('link[rel="modulepreload"]')].map((l) => l.getAttribute("href")))).toContain(users);
      await p.getByLabel("Username").fill("admin");
      await p.getByLabel("Password").fill("admin");
      await p.getByRole("button", { name: "Sign in" }).click();
      await p.waitForURL(steward.url + "/users?page=2");
      await expect.poll(() => p.getByTestId("users-table").locator("tbody tr").count()).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
  }, 60_000);

  it("signing in to the overview: while the admin types, its charts are drawn once off-screen and thrown away", async () => {
    const other = await browser.newContext({ viewport: { width: 1200, height: 1000 } });
    try {
      await other.addInitScript(() => {
        const w = window as unknown as { warmUp: { drawn: number; offScreen: boolean; hidden: boolean } };
        w.warmUp = { drawn: 0, offScreen: true, hidden: true };
        new MutationObserver(() => {
          const box = document.querySelector("[data-chart-warm-up]");
          if (!box) return;
          w.warmUp.drawn = Math.max(w.warmUp.drawn, box.querySelectorAll(".recharts-wrapper > svg.recharts-surface").length);
          w.warmUp.offScreen &&= box.getBoundingClientRect().right <= 0;
          w.warmUp.hidden &&= box.getAttribute("aria-hidden") === "true" && getComputedStyle(box).visibility === "hidden";
        }).observe(document, { childList: true, subtree: true });
      });
      const p = await other.newPage();
      await p.goto(steward.url + "/login");
      const warmUp = () => p.evaluate(() => (window as unknown as { warmUp: { drawn: number; offScreen: boolean; hidden: boolean } }).warmUp);
      await expect.poll(async () => (await warmUp()).drawn, { timeout: 10_000 }).toBe(3);
      await expect.poll(() => p.locator("[data-chart-warm-up]").count(), { timeout: 10_000 }).toBe(0);
      expect(await warmUp()).toEqual({ drawn: 3, offScreen: true, hidden: true });
      await p.getByLabel("Username").fill("admin");
      await p.getByLabel("Password").fill("admin");
      await p.getByRole("button", { name: "Sign in" }).click();
      await p.waitForURL(steward.url + "/");
      await expect.poll(() => p.locator("[data-testid=chart-accounts] .recharts-wrapper > svg.recharts-surface").count(), { timeout: 10_000 }).toBe(1);
    } finally {
      await other.close();
    }
  }, 60_000);

  it("a navigation link preloads its page's modules and, once the pointer rests, its data; the click asks nothing more", async () => {
    const users = await moduleOf("routes/_app.users._index");
    expect(await preloads()).not.toContain(users);
    const link = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" });
    await link.hover();
    await expect.poll(preloads).toContain(users);
    await expect.poll(() => requests.filter((r) => r.startsWith("/api/collectors/user-counts")).length).toBe(1);
    // The pointer rests: the page's data is asked for once, ahead of the click.
    await expect.poll(() => requests.filter((r) => r.startsWith("/users?")), { timeout: 10_000 }).toEqual(["/users?_data=routes%2F_app.users._index"]);
    requests.length = 0;
    await link.click();
    await page.waitForURL(steward.url + "/users");
    await page.getByTestId("users-table").waitFor();
    await page.waitForLoadState("networkidle");
    expect(requests.filter((r) => r.startsWith("/api/collectors/"))).toEqual([]);
    expect(requests.filter((r) => r.includes("_data="))).toEqual([]);
    // What the click showed is the page's own data, not another's: the list and its count.
    await expect.poll(() => page.getByTestId("users-table").locator("tbody tr").count()).toBe(50);
  }, 60_000);

  it("a search's Apply button, rested on, asks for the search's data; the submit uses it", async () => {
    const apply = await restOnApply("person07");
    expect(requests.filter((r) => r.includes("_data="))[0]).toMatch(/^\/users\?q=person07&.*_data=routes%2F_app.users._index$/);
    requests.length = 0;
    await apply.click();
    await page.waitForURL(/q=person07/);
    await expect.poll(() => page.getByTestId("users-table").locator("tbody tr").allTextContents()).toEqual([expect.stringContaining("@person07:")]);
    await page.waitForLoadState("networkidle");
    expect(requests.filter((r) => r.includes("_data="))).toEqual([]);
  }, 60_000);

  it("a click without a resting pointer asks for the data itself, once", async () => {
    await page.goto(steward.url + "/audit");
    await hydrated();
    requests.length = 0;
    // Playwright's click moves the pointer and presses at once: no rest, so no prefetch.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).click();
    await page.getByTestId("users-table").waitFor();
    await page.waitForLoadState("networkidle");
    expect(requests.filter((r) => r.includes("_data="))).toEqual(["/users?_data=routes%2F_app.users._index"]);
  }, 60_000);

  it("data asked for before a post is not shown after it: the click asks again", async () => {
    const apply = await restOnApply("person");
    // "Refresh now" posts (a collection may change the list): what was fetched before it is forgotten.
    const posted = page.waitForRequest((r) => r.method() === "POST" && r.url().includes("/api/collectors/user-counts"));
    await page.getByRole("button", { name: /Refresh now/ }).click();
    await posted;
    requests.length = 0;
    await apply.click();
    await page.waitForURL(/q=person/);
    // The search's data came from a request made after the post, not from the one made before it.
    expect(requests.filter((r) => r.startsWith("/users?") && r.includes("q=person&") && r.includes("_data="))).toHaveLength(1);
    // The collection ends before the next test counts requests (a page open during a run polls its status). Asked of
    // the server: the button's "Done" line is not a signal, a run this small may end before the button sees it run.
    const runStatus = async () =>
      ((await (await page.request.get(steward.url + "/api/collectors/user-counts", { headers: { Accept: "application/json" } })).json()) as { run?: { status: string } }).run?.status;
    await expect.poll(runStatus, { timeout: 30_000 }).not.toBe("running");
  }, 60_000);

  it("the next page of a list is one request for data", async () => {
    await page.goto(steward.url + "/users");
    await hydrated();
    requests.length = 0;
    await page.locator(".pager").getByRole("link", { name: "Next →" }).click();
    await page.waitForURL(/page=2/);
    await expect.poll(() => page.getByTestId("users-table").locator("tbody tr").first().textContent()).toContain("person");
    await page.waitForLoadState("networkidle");
    expect(requests.filter((r) => r.includes("_data="))).toEqual(["/users?page=2&_data=routes%2F_app.users._index"]);
  }, 60_000);

  it("a page load carries its stylesheet (nothing to fetch before the first frame); the styles last through hydration and navigation", async () => {
    requests.length = 0;
    await page.goto(steward.url + "/users");
    const fontOfBody = () => page.evaluate(() => getComputedStyle(document.body).fontFamily);
    // The browser's default is a serif font: this is the stylesheet's.
    expect(await fontOfBody()).toContain("system-ui");
    await hydrated();
    expect(requests.filter((r) => /\.css(\?|$)/.test(r))).toEqual([]);
    expect(await page.locator('link[rel="stylesheet"]').count()).toBe(0);
    // The page carries the built file itself, byte for byte (still served at its address).
    const [inline, href] = await page.locator("style[data-href]").evaluate((s) => [s.textContent ?? "", s.getAttribute("data-href") ?? ""]);
    expect(href).toMatch(/^\/build\/_assets\/app-\w+\.css$/);
    expect(inline.length).toBeGreaterThan(1000);
    expect(await page.evaluate((h) => fetch(h).then((r) => r.text()), href)).toBe(inline);
    await page.locator("nav.app-nav").getByRole("link", { name: "Tokens" }).click();
    await page.waitForURL(steward.url + "/tokens");
    await page.getByRole("heading", { level: 1 }).waitFor();
    expect(await fontOfBody()).toContain("system-ui");
    expect(await page.locator("style[data-href]").evaluate((s) => s.textContent)).toBe(inline);
  }, 60_000);

  it("any in-app link preloads its page's modules on hover or keyboard focus; keyboard focus asks for no data", async () => {
    await page.goto(steward.url + "/users");
    await hydrated();
    const userPage = await moduleOf("routes/_app.users.$userId");
    expect(await preloads()).not.toContain(userPage);
    await page.getByTestId("users-table").locator("tbody tr").first().getByRole("link").first().hover();
    await expect.poll(preloads).toContain(userPage);
    // The pointer rested on the row: its page's data was asked for (decision 028). Then it moves away.
    await expect.poll(() => requests.some((r) => r.includes("_data=routes%2F_app.users.%24userId")), { timeout: 10_000 }).toBe(true);
    await page.mouse.move(0, 0);
    requests.length = 0;
    const federation = await moduleOf("routes/_app.federation._index");
    expect(await preloads()).not.toContain(federation);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Federation" }).focus();
    await expect.poll(preloads).toContain(federation);
    await page.waitForLoadState("networkidle");
    expect(requests.filter((r) => r.includes("_data="))).toEqual([]);
  }, 60_000);

  it("a row's link opens its page with one request for data; a modified click is left to the browser", async () => {
    await page.goto(steward.url + "/users");
    await hydrated();
    const link = page.getByTestId("users-table").locator("tbody tr").first().getByRole("link").first();
    const href = await link.getAttribute("href");
    expect(href).toMatch(/^\/users\/%40/);
    // Ctrl-click (a new tab, a download): not turned into an in-page navigation.
    const prevented = await link.evaluate((a) => {
      // Runs after the page's own listener (on document): records whether it took the click, then keeps the test
      // page where it is.
      let taken: boolean | null = null;
      window.addEventListener("click", (ev) => ((taken = ev.defaultPrevented), ev.preventDefault()), { once: true });
      a.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, ctrlKey: true, button: 0 }));
      return { taken, url: location.pathname };
    });
    expect(prevented).toEqual({ taken: false, url: "/users" });
    requests.length = 0;
    const documents: string[] = [];
    page.on("framenavigated", (f) => documents.push(f.url()));
    await link.click();
    await page.waitForURL((u) => u.pathname === decodeURIComponent(href!).replace(/%40/g, "@") || u.pathname === href);
    await expect.poll(() => page.locator("main h1").textContent()).toContain("@");
    await page.waitForLoadState("networkidle");
    // One data request, no new document (a same-document navigation still reports the frame's new URL).
    expect(requests.filter((r) => !r.includes("_data=") && !r.startsWith("/build/") && !r.startsWith("/__manifest") && !r.startsWith("/favicon"))).toEqual([]);
    expect(requests.filter((r) => r.includes("_data="))).toHaveLength(1);
    expect(await page.evaluate(() => document.documentElement.dataset.hydrated)).toBe("true");
  }, 60_000);
});

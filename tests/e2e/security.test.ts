/**
 * The security report in real Chromium against the real server and the simulator: the cards, the chart drawn after
 * hydration (screenshot), filtering, the per-user drill-down with session states, and a nudge from selection to
 * preview to sent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { haveChromium, launchBrowser, artifactPath } from "../helpers/browser";
import { startSimulator, type Simulator } from "../simulator/index";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { createHomeserverClient } from "../../app/homeserver/index";
import { runPostureScan } from "../../app/services/posture/scan.server";
import { POSTURE_DEFAULTS } from "../../app/config.server";
import { postureUsers } from "../../db/schema";

describe.skipIf(!haveChromium)("security report in a browser", () => {
  let sim: Simulator;
  let steward: TestSteward;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let page: Page;

  beforeAll(async () => {
    sim = await startSimulator({ users: 60, seed: 21 });
    steward = await startTestSteward({ homeserverUrl: sim.url });
    // Three scans a few hours apart give the chart some history; one user secures their account in between.
    const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken });
    const settings = POSTURE_DEFAULTS;
    const t0 = Date.now() - 12 * 3600_000;
    await runPostureScan({ db: steward.database.db, hs, now: () => new Date(t0), settings });
    await runPostureScan({ db: steward.database.db, hs, now: () => new Date(t0 + 6 * 3600_000), settings });
    await runPostureScan({ db: steward.database.db, hs, now: () => new Date(), settings });
    ({ browser, close: closeBrowser } = await launchBrowser());
    const context = await browser.newContext({ viewport: { width: 1200, height: 1400 } });
    page = await context.newPage();
    await page.goto(steward.url + "/login");
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("admin");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(steward.url + "/");
  }, 180_000); // 60 users scanned three times: slow on a loaded machine
  afterAll(async () => {
    await closeBrowser?.();
    await steward?.close();
    await sim?.close();
  });

  it("shows the verdict cards and draws the chart after hydration", async () => {
    await page.goto(steward.url + "/security");
    const rows = await steward.database.db.select().from(postureUsers);
    const latest = Math.max(...rows.map((r) => r.scanId));
    const fully = rows.filter((r) => r.scanId === latest && r.category === "active" && r.fullySecured === "ok").length;
    expect(await page.locator('[data-check="fully_secured"] .value').textContent()).toBe(String(fully));
    const chart = page.getByTestId("posture-chart");
    await chart.locator("svg.recharts-surface").first().waitFor();
    expect(await chart.locator(".recharts-line").count()).toBe(4);
    await page.screenshot({ path: artifactPath("security-report.png"), fullPage: true });
  });

  it("is a compact table: one row per user, one column per check, 50 users in about two screens, the chart as wide as its card", async () => {
    await page.setViewportSize({ width: 1200, height: 900 });
    await page.goto(steward.url + "/security");
    const table = page.getByTestId("posture-table");
    const rows = table.locator("tbody tr");
    expect(await rows.count()).toBe(50);
    const heads = await table.locator("thead th").allTextContents();
    expect(heads.map((h) => h.trim())).toEqual(expect.arrayContaining(["User", "Verdict", "Cross-signing", "Recovery", "Key backup", "Sessions verified"]));
    // Every row has one cell per check, each an icon and a word.
    const first = rows.first();
    for (const check of ["fully_secured", "cross_signing", "recovery", "key_backup", "no_unverified_sessions"]) {
      const cell = first.locator(`td[data-check="${check}"]`);
      expect(await cell.count()).toBe(1);
      expect((await cell.textContent())!.trim()).toMatch(/^[✓✗?] (OK|Missing|Unknown|Secured|Not secured)$/);
    }
    // Details stay closed until asked for: the row is one line.
    expect(await table.locator("details[open]").count()).toBe(0);
    await page.screenshot({ path: artifactPath("security-compact.png"), fullPage: true });
    const box = (await table.boundingBox())!;
    expect(box.height).toBeLessThanOrEqual(2 * 900);
    // The chart uses its card's width.
    const chart = page.getByTestId("posture-chart");
    const svg = chart.locator(".recharts-wrapper > svg.recharts-surface");
    await svg.waitFor();
    const cardWidth = (await chart.boundingBox())!.width;
    expect((await svg.boundingBox())!.width).toBeGreaterThan(cardWidth * 0.9);
    await page.setViewportSize({ width: 1200, height: 1400 });
  });

  it("filters to users without cross-signing and drills down into sessions", async () => {
    // The categories the report leaves out are offered in words, side by side.
    const include = page.getByTestId("also-include").locator("label");
    expect((await include.allTextContents()).map((t) => t.trim())).toEqual(["Deactivated accounts", "Bots", "Support accounts", "Application service users"]);
    const tops = await include.evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().top)));
    expect(new Set(tops).size).toBe(1);
    await page.locator("#sec-check").selectOption("cross_signing");
    await page.locator("#sec-status").selectOption("missing");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL(/check=cross_signing/);
    const badges = page.locator('[data-testid="posture-table"] [data-check="cross_signing"]');
    // The URL changes before the new rows are in: wait for the filtered table.
    await expect.poll(() => badges.evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute("data-status")))])).toEqual(["missing"]);
    // Drill down: a user with an unverified session shows it in the list of sessions.
    await page.goto(steward.url + "/security?check=no_unverified_sessions&status=missing");
    const row = page.locator("[data-testid=posture-table] tbody tr").first();
    await row.locator("summary").click();
    expect(await row.locator('[data-state="unverified"]').count()).toBeGreaterThan(0);
    await page.screenshot({ path: artifactPath("security-drilldown.png"), fullPage: true });
  });

  it("a row's sessions are in the server's HTML, and drawn only when opened after a client-side navigation", async () => {
    const url = steward.url + "/security?check=no_unverified_sessions&status=missing";
    // Server-rendered: every closed row carries its body (no JavaScript needed; find-in-page searches it).
    const html = await (await page.context().request.get(url)).text();
    expect(html).toContain('data-state="unverified"');
    await page.goto(url);
    const row = page.locator("[data-testid=posture-table] tbody tr").first();
    expect(await row.locator('details [data-state]').count()).toBeGreaterThan(0);
    // Reached by a client-side navigation: closed rows hold no body until opened.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" }).click();
    await page.waitForURL(steward.url + "/audit");
    await page.goBack();
    await page.waitForURL(url);
    const again = page.locator("[data-testid=posture-table] tbody tr").first();
    await again.waitFor();
    expect(await page.locator("[data-testid=posture-table] details [data-state]").count()).toBe(0);
    await again.locator("summary").click();
    await expect.poll(() => again.locator('[data-state="unverified"]').count()).toBeGreaterThan(0);
    expect(await page.locator("[data-testid=posture-table] details[open]").count()).toBe(1);
  });

  it("nudges a selected user: preview, send, and the notice arrives once", async () => {
    await page.goto(steward.url + "/security?check=fully_secured&status=missing");
    const first = page.locator("[data-testid=posture-table] tbody tr").first();
    const userId = (await first.getAttribute("data-user"))!;
    await first.locator('input[name="user"]').check();
    await page.getByRole("button", { name: "Nudge selected users" }).click();
    await page.waitForURL(/\/security\/nudge\?/);
    expect(await page.getByTestId("nudge-count").textContent()).toContain("The nudge goes to 1 user");
    await page.getByRole("button", { name: "Preview" }).click();
    await page.getByTestId("nudge-preview").waitFor();
    expect(await page.getByTestId("nudge-preview").textContent()).toContain(`Hello ${userId}`);
    await page.getByRole("button", { name: /^Send 1 notice/ }).click();
    await page.getByTestId("nudge-results").waitFor();
    expect(await page.locator(`[data-testid=nudge-results] tr[data-user="${userId}"]`).getAttribute("data-result")).toBe("sent");
    expect(sim.state.posture.notices.filter((n) => n.user_id === userId)).toHaveLength(1);
    // The result page says what happened, once, without a contradicting "will be skipped" above it.
    expect(await page.getByRole("status").textContent()).toBe("Sent 1 server notice.");
    expect(await page.getByText("will be skipped").count()).toBe(0);
  });

  it("Status applies with Check “Any”: Missing means missing at least one check", async () => {
    await page.goto(steward.url + "/security");
    expect(await page.locator("#sec-status").inputValue()).toBe("");
    await page.locator("#sec-status").selectOption("missing");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL(/status=missing/);
    const verdicts = () => page.locator('[data-testid="posture-table"] td[data-check="fully_secured"]').evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute("data-status")))]);
    await expect.poll(verdicts).toEqual(["missing"]);
    expect(await page.locator("#sec-status").inputValue()).toBe("missing");
  });

  it("nudges everyone in the filter only if they miss something, lists them by name; refuses an empty selection on the report", async () => {
    const rows = await steward.database.db.select().from(postureUsers);
    const latest = Math.max(...rows.map((r) => r.scanId));
    const inScan = rows.filter((r) => r.scanId === latest && r.category === "active");
    const missing = inScan.filter((r) => r.fullySecured === "missing");
    const secured = inScan.filter((r) => r.fullySecured === "ok");
    expect(secured.length).toBeGreaterThan(0);
    await page.goto(steward.url + "/security");
    expect(await page.getByTestId("nudge-all").textContent()).toContain(`(${missing.length})`);
    await page.getByTestId("nudge-all").click();
    await page.waitForURL(/\/security\/nudge\?/);
    expect(await page.getByTestId("nudge-count").textContent()).toContain(`The nudge goes to ${missing.length} users`);
    const listed = await page.getByTestId("nudge-recipients").locator("li[data-user]").evaluateAll((els) => els.map((e) => e.getAttribute("data-user")));
    expect(listed.sort()).toEqual(missing.map((r) => r.userId).sort());
    for (const r of secured) expect(listed).not.toContain(r.userId);
    const named = missing.find((r) => r.displayname && !/[\u202a-\u202e\u2066-\u2069<]/.test(r.displayname) && r.displayname.length < 40)!;
    expect(await page.locator(`[data-testid=nudge-recipients] li[data-user="${named.userId}"]`).textContent()).toContain(named.displayname!);
    // "Nudge selected users" with nothing ticked stays on the report and says why.
    await page.goto(steward.url + "/security?check=cross_signing&status=missing");
    await page.getByRole("button", { name: "Nudge selected users" }).click();
    await page.waitForURL(/\/security\?.*nudge=none/);
    expect(await page.getByTestId("nudge-none").textContent()).toContain("Select at least one user");
    expect(page.url()).toContain("check=cross_signing");
    // A fully secured user picked by hand is left out, with the reason.
    await page.goto(steward.url + `/security/nudge?user=${encodeURIComponent(secured[0].userId)}`);
    expect(await page.getByTestId("nudge-count").textContent()).toContain("there is no one to nudge");
    expect(await page.getByTestId("nudge-left-out").textContent()).toContain(`${secured[0].userId} (fully secured)`);
    await page.screenshot({ path: artifactPath("security-nudge-empty.png"), fullPage: true });
  });
});

/**
 * Federation in real Chromium against the real server and the simulator: the state cards and the chart (drawn
 * after hydration, screenshot), filtering, a destination's page with "Reset connection" behind a confirmation
 * (audited, the state changes), the disabled reset with its reason, and the self-check run from the page.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { haveChromium, launchBrowser, artifactPath } from "../helpers/browser";
import { startSimulator, type Simulator } from "../simulator/index";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { createHomeserverClient } from "../../app/homeserver/index";
import { collectFederation } from "../../app/services/federation/collect.server";
import { auditEvents } from "../../db/schema";

describe.skipIf(!haveChromium)("federation in a browser", () => {
  let sim: Simulator;
  let steward: TestSteward;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let page: Page;

  beforeAll(async () => {
    sim = await startSimulator({ users: 4, seed: 5 });
    // "Our server" is the simulator: its well-known delegates federation to itself over plain http.
    sim.state.federation.serverWellKnown = { "m.server": new URL(sim.url).host };
    steward = await startTestSteward({ homeserverUrl: sim.url, env: { STEWARD_SELF_CHECK_ORIGIN: sim.url, STEWARD_SELF_CHECK_FEDERATION_SCHEME: "http" } });
    // Three collections an hour apart give the chart some history (one destination recovers in between).
    const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken });
    const t0 = Date.now() - 2 * 3600_000;
    await collectFederation({ db: steward.database.db, hs, now: () => new Date(t0) });
    await collectFederation({ db: steward.database.db, hs, now: () => new Date(t0 + 3600_000) });
    Object.assign(sim.state.federation.destinations.get("gone.example")!, { retry_last_ts: 0, retry_interval: 0, failure_ts: null });
    await collectFederation({ db: steward.database.db, hs, now: () => new Date() });
    ({ browser, close: closeBrowser } = await launchBrowser());
    const context = await browser.newContext({ viewport: { width: 1100, height: 1200 } });
    page = await context.newPage();
    await page.goto(steward.url + "/login");
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

  it("shows counts per state and draws the chart after hydration", async () => {
    await page.goto(steward.url + "/federation");
    expect(await page.getByTestId("count-dead").locator(".value").textContent()).toBe("1");
    expect(await page.getByTestId("count-backing_off").locator(".value").textContent()).toBe("1");
    expect(await page.getByTestId("count-retry_due").locator(".value").textContent()).toBe("1");
    expect(await page.getByTestId("count-healthy").locator(".value").textContent()).toBe("4");
    const chart = page.getByTestId("state-chart");
    await chart.locator(".recharts-wrapper > svg.recharts-surface").waitFor();
    // One stacked area per state, drawn over the three snapshots.
    await expect.poll(() => chart.locator(".recharts-area-area").count()).toBe(4);
    // The chart uses its card's width (it was a fixed 760 px in a wider card).
    const card = (await chart.locator("xpath=ancestor::section[1]").boundingBox())!;
    const svg = (await chart.locator(".recharts-wrapper > svg.recharts-surface").boundingBox())!;
    expect(svg.width).toBeGreaterThan(card.width * 0.85);
    // The chart agrees with the cards at its right edge: gone.example recovered at the latest snapshot, so just left of
    // the edge the stack holds 4 healthy (the area under the value 3.5 is the healthy one, not "backing off" above 3).
    const tickY = async (label: string) => {
      const box = (await chart.locator(".recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value", { hasText: new RegExp(`^${label}$`) }).first().boundingBox())!;
      return box.y + box.height / 2;
    };
    const [y2, y4] = [await tickY("2"), await tickY("4")];
    const plot = (await chart.locator(".recharts-cartesian-grid").boundingBox())!;
    const fill = await page.evaluate(
      ([x, y]) => (document.elementFromPoint(x, y) as SVGElement | null)?.closest(".recharts-area")?.querySelector(".recharts-area-area")?.getAttribute("fill") ?? null,
      [plot.x + plot.width - 12, y2 + ((y4 - y2) * 3) / 4] as const,
    );
    expect(fill).toBe("#2e7d32");
    await page.screenshot({ path: artifactPath("federation-overview.png"), fullPage: true });
  });

  it("after a client-side navigation, the list is painted first and the chart drawn in a later frame", async () => {
    await page.goto(steward.url + "/audit");
    await page.locator("html[data-hydrated=true]").waitFor();
    // At the first animation frame that has the list's rows, is the chart already drawn?
    await page.evaluate(`(() => {
      window.__firstFrame = null;
      const tick = () => {
        if (location.pathname === "/federation" && document.querySelector("[data-testid=destinations] tbody tr")) {
          window.__firstFrame = { chart: !!document.querySelector("[data-testid=state-chart] .recharts-responsive-container, [data-testid=state-chart] .recharts-wrapper") };
          return;
        }
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    })()`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Federation" }).click();
    await expect.poll(() => page.evaluate("window.__firstFrame")).toEqual({ chart: false });
    await page.getByTestId("state-chart").locator("svg.recharts-surface").first().waitFor();
  });

  it("filters the table by state and by search", async () => {
    await page.getByTestId("count-dead").click();
    await page.waitForURL(/state=dead/);
    const rows = page.getByTestId("destinations").locator("tbody tr");
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain("dead.example");
    await page.goto(steward.url + "/federation");
    await page.getByLabel("Search").fill("retrydue");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL(/q=retrydue/);
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain("with the next event");
  });

  it("lists the rooms shared with a destination by name, and marks as waiting only those it is behind on", async () => {
    // healthy.example has taken every event (as recorded: its rooms' stream orderings are at or below its last one).
    await page.goto(steward.url + "/federation/healthy.example");
    const section = page.locator("section", { has: page.getByRole("heading", { name: "Rooms shared with this server" }) });
    expect(await section.count()).toBe(1);
    expect(await page.getByText("Rooms waiting for this destination").count()).toBe(0);
    const rows = page.getByTestId("rooms").locator("tbody tr");
    expect(await rows.count()).toBe(3);
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-status")))).toEqual(["up_to_date", "up_to_date", "up_to_date"]);
    expect(await page.getByTestId("rooms").getByText("Waiting", { exact: true }).count()).toBe(0);
    expect(await page.getByTestId("rooms-summary").textContent()).toContain("nothing is waiting");
    // Names come from the admin rooms API: every shared room the simulator named shows its name.
    for (const r of sim.state.federation.rooms.get("healthy.example")!) {
      const info = sim.state.federation.roomDirectory.get(r.room_id)!;
      const row = page.locator(`[data-testid=rooms] tr[data-room="${r.room_id}"]`);
      expect(await row.textContent()).toContain(info.name ?? info.canonical_alias ?? "Unnamed room");
    }
    // matrix.example.org is behind on exactly one of its five rooms.
    await page.goto(steward.url + "/federation/matrix.example.org");
    const statuses = await page.getByTestId("rooms").locator("tbody tr").evaluateAll((els) => els.map((e) => e.getAttribute("data-status")));
    const lsso = sim.state.federation.destinations.get("matrix.example.org")!.last_successful_stream_ordering!;
    const behind = sim.state.federation.rooms.get("matrix.example.org")!.filter((r) => r.stream_ordering > lsso).length;
    expect(behind).toBe(1);
    expect(statuses.filter((x) => x === "waiting")).toHaveLength(1);
    expect(await page.getByTestId("rooms-summary").textContent()).toContain("1 of 5 rooms has events this server has not received yet");
    await page.screenshot({ path: artifactPath("federation-rooms.png"), fullPage: true });
  });

  it("resets a failing destination after confirmation; audited; 'reset, not yet retried' until a collection sees an attempt", async () => {
    await page.goto(steward.url + "/federation/backoff.example");
    expect(await page.getByTestId("destination-state").textContent()).toContain("Backing off");
    expect(await page.getByTestId("rooms").locator("tbody tr").count()).toBe(2);
    await page.getByRole("link", { name: "Reset connection…" }).click();
    await page.waitForURL(/confirm=reset/);
    await page.getByRole("button", { name: "Yes, reset the connection" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toContain("was reset");
    // Nothing has been tried: the page does not claim the last attempt succeeded.
    await expect.poll(() => page.getByTestId("destination-state").textContent()).toContain("Reset, not yet retried");
    expect(await page.getByTestId("destination-state").textContent()).not.toContain("Healthy");
    // The success message and the section's text say the same about when Synapse retries.
    const when = "tries again at once if events are waiting for this server, otherwise with the next event it sends there";
    expect(await page.getByRole("status").textContent()).toContain(when);
    expect(await page.locator("section", { has: page.getByRole("heading", { name: "Reset connection" }) }).textContent()).toContain(when);
    expect(await page.getByTestId("timeline").locator("tbody tr").first().textContent()).toContain("reset from Steward");
    expect(sim.state.federation.destinations.get("backoff.example")!.retry_last_ts).toBe(0);
    const audit = (await steward.database.db.select().from(auditEvents)).filter((a) => a.action === "federation.reset_connection");
    expect(audit.map((a) => [a.target, a.outcome, a.actor])).toEqual([["backoff.example", "ok", `@admin:${sim.serverName}`]]);
    await page.screenshot({ path: artifactPath("federation-reset.png"), fullPage: true });
    // A collection that sees no attempt keeps saying so; one that sees a new failure shows it.
    const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken });
    await collectFederation({ db: steward.database.db, hs, now: () => new Date() });
    await page.goto(steward.url + "/federation/backoff.example");
    expect(await page.getByTestId("destination-state").textContent()).toContain("Reset, not yet retried");
    Object.assign(sim.state.federation.destinations.get("backoff.example")!, { retry_last_ts: Date.now() - 1000, retry_interval: 10 * 60_000, failure_ts: Date.now() - 1000 });
    await collectFederation({ db: steward.database.db, hs, now: () => new Date() });
    await page.goto(steward.url + "/federation/backoff.example");
    expect(await page.getByTestId("destination-state").textContent()).toContain("Backing off");
    expect(await page.getByTestId("destination-state").textContent()).not.toContain("Reset, not yet retried");
    Object.assign(sim.state.federation.destinations.get("backoff.example")!, { retry_last_ts: 0, retry_interval: 0, failure_ts: null });
    await collectFederation({ db: steward.database.db, hs, now: () => new Date() });
    // Now healthy: the button is disabled and says why.
    await page.goto(steward.url + "/federation/backoff.example?confirm=reset");
    expect(await page.getByRole("button", { name: "Reset connection" }).isDisabled()).toBe(true);
    expect(await page.locator("#reset-why").textContent()).toContain("nothing to reset");
  });

  it("runs the self-check from the page and shows each check", async () => {
    await page.goto(steward.url + "/federation/self-check");
    await page.getByTestId("run-self-check").click();
    const results = page.getByTestId("self-check-results");
    await results.waitFor();
    expect(await results.locator('tr[data-check="server-keys"]').getAttribute("data-status")).toBe("pass");
    expect(await results.locator('tr[data-check="federation-api"]').getAttribute("data-status")).toBe("pass");
    // Break the signing key: the next run says so, and history keeps both runs.
    sim.state.federation.serverKeyMode = "bad_signature";
    await page.getByTestId("run-self-check").click();
    await expect.poll(() => results.locator('tr[data-check="server-keys"]').getAttribute("data-status")).toBe("fail");
    expect(await results.locator('tr[data-check="server-keys"]').textContent()).toContain("does not verify");
    await expect.poll(() => page.getByTestId("self-check-history").locator("tbody tr").count()).toBe(2);
    await page.screenshot({ path: artifactPath("federation-self-check.png"), fullPage: true });
  });
});

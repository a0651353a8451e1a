/**
 * Issue 17 as an admin uses it, in real Chromium: with SYNAPSE_DATABASE_URL set, "Scan now" on the security page scans
 * from Synapse's database (a Synapse-shaped copy of the simulator's state), asks the homeserver nothing per user, and
 * the report says which path made it and that key backup is exact.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { artifactPath, haveChromium, launchBrowser, openSignedInPage } from "../helpers/browser";
import { startSimulator, type Simulator } from "../simulator/index";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { createSynapseTestDb, writeSimulatorState, type SynapseTestDb } from "../helpers/synapse-db";

describe.skipIf(!haveChromium)("security scan from Synapse's database", () => {
  let sim: Simulator;
  let synapse: SynapseTestDb;
  let steward: TestSteward;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let page: Page;

  beforeAll(async () => {
    sim = await startSimulator({ users: 40, seed: 21 });
    synapse = await createSynapseTestDb();
    await writeSimulatorState(synapse.query, sim.state);
    steward = await startTestSteward({ homeserverUrl: sim.url, env: { SYNAPSE_DATABASE_URL: synapse.url } });
    ({ browser, close: closeBrowser } = await launchBrowser());
    page = await openSignedInPage(browser, steward.url);
  }, 120_000);
  afterAll(async () => {
    await closeBrowser?.();
    await steward?.close();
    await synapse?.drop();
    await sim?.close();
  });

  it("Scan now reads Synapse's database, with no homeserver request per user, and the report says so", async () => {
    await page.goto(steward.url + "/security");
    const before = sim.requestLog.length;
    await page.getByTestId("refresh-posture").getByRole("button", { name: "Scan now" }).click();
    await expect.poll(() => page.getByTestId("refresh-posture").getByRole("status").textContent(), { timeout: 30_000 }).toMatch(/^Done: \d+ accounts checked \(deactivated ones and bots too\)\.$/);
    const main = page.locator("main");
    await expect.poll(() => main.textContent()).toContain("Made from Synapse's database");
    expect(await main.textContent()).toContain("Key backup: exact, read from Synapse's database.");
    // The rows are there, and no user's devices, keys or account data were asked of the homeserver.
    expect(await page.getByTestId("posture-table").locator("tbody tr").count()).toBeGreaterThan(0);
    const perUser = sim.requestLog.slice(before).filter((r) => /\/users\/[^/]+\/(devices|accountdata)|\/keys\/query/.test(r.path));
    expect(perUser).toEqual([]);
    await page.screenshot({ path: artifactPath("security-db-path.png"), fullPage: true });
  }, 60_000);
});

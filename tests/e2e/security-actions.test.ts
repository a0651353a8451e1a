/**
 * Session actions from the security report (issue 15): beside the verdict that names them, an unverified session and
 * the stale sessions of a user can be signed out, through the same confirmation page as on the user's page (which
 * lists every stale session with its last-seen time and IP), in real Chromium against the server and the simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { artifactPath, haveChromium, launchBrowser } from "../helpers/browser";
import { startSimulator, type Simulator } from "../simulator/index";
import { addDevice, addUser } from "../simulator/state";
import { crossSignDevice, setUpCrossSigning, uploadDeviceKeys } from "../simulator/seed-posture";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { createHomeserverClient } from "../../app/homeserver";
import { runPostureScan } from "../../app/services/posture/scan.server";
import { POSTURE_DEFAULTS } from "../../app/config.server";

const DAVE = "@dave:sim.test";

describe.skipIf(!haveChromium)("session actions from the security report", () => {
  let sim: Simulator;
  let steward: TestSteward;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let page: Page;

  beforeAll(async () => {
    sim = await startSimulator({ users: 0 });
    const now = sim.clock.now();
    addUser(sim.state, { localpart: "dave", password: "dave-pass" }, now);
    setUpCrossSigning(sim.state, DAVE);
    addDevice(sim.state, DAVE, { device_id: "DEVOK", display_name: "Dave's phone", last_seen_ts: now - 3_600_000, last_seen_ip: "10.1.1.1" });
    addDevice(sim.state, DAVE, { device_id: "DEVNEW", display_name: "Unknown browser", last_seen_ts: now - 60_000, last_seen_ip: "10.1.1.2" });
    addDevice(sim.state, DAVE, { device_id: "DEVOLD", display_name: "Old laptop", last_seen_ts: now - 200 * 86_400_000, last_seen_ip: "10.1.1.3" });
    for (const d of ["DEVOK", "DEVNEW", "DEVOLD"]) uploadDeviceKeys(sim.state, DAVE, d);
    crossSignDevice(sim.state, DAVE, "DEVOK");
    crossSignDevice(sim.state, DAVE, "DEVOLD");
    steward = await startTestSteward({ homeserverUrl: sim.url });
    const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken });
    await runPostureScan({ db: steward.database.db, hs, now: () => new Date(), settings: POSTURE_DEFAULTS });
    ({ browser, close: closeBrowser } = await launchBrowser());
    page = await (await browser.newContext({ viewport: { width: 1200, height: 1200 } })).newPage();
    await page.goto(steward.url + "/login");
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("admin");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(steward.url + "/");
  }, 180_000); // starting Steward and Chromium on a machine shared with other test runs
  afterAll(async () => {
    await closeBrowser?.();
    await steward?.close();
    await sim?.close();
  });

  it("signs out the unverified session named in the report", async () => {
    await page.goto(steward.url + "/security");
    const row = page.locator(`tr[data-user="${DAVE}"]`);
    await row.locator("summary").click();
    await row.getByRole("link", { name: `Sign out unverified session DEVNEW of ${DAVE}…` }).click();
    await page.waitForURL(/action=sign-out-device&device=DEVNEW/);
    expect(await page.getByTestId("consequence").textContent()).toContain(`The session DEVNEW of ${DAVE} will end`);
    await page.getByRole("button", { name: "Yes: sign out this session" }).click();
    await page.waitForURL(/\/users\/%40dave%3Asim\.test\?done=sign-out-device/);
    expect([...sim.state.devices.get(DAVE)!.keys()]).toEqual(["DEVOK", "DEVOLD"]);
  });

  it("signs out the stale sessions after listing each with its last-seen time and IP", async () => {
    await page.goto(`${steward.url}/users/${encodeURIComponent(DAVE)}`);
    await page.getByRole("link", { name: "Sign out the stale session…" }).click();
    await page.waitForURL(/action=sign-out-stale&days=\d+/);
    const list = page.getByTestId("stale-sessions");
    expect(await list.textContent()).toContain("DEVOLD");
    expect(await list.textContent()).toContain("10.1.1.3");
    expect(await list.textContent()).not.toContain("DEVOK");
    await page.screenshot({ path: artifactPath("user-action-stale.png"), fullPage: true });
    await page.getByRole("button", { name: "Yes: sign out stale sessions" }).click();
    await page.waitForURL(/\?done=sign-out-stale/);
    expect(await page.getByTestId("action-done").textContent()).toBe("The stale sessions were signed out.");
    expect([...sim.state.devices.get(DAVE)!.keys()]).toEqual(["DEVOK"]);
  });
});

/**
 * The admin sees how many Steward devices their account has (issue 14, item 21; decision 021), in real Chromium:
 * the count in the header, the note on their own page with each old device marked, and signing an old one out with
 * the user page's own "Sign out…" (issue 15). Signing in again from the same browser keeps one device.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { haveChromium, launchBrowser, artifactPath } from "../helpers/browser";
import { addDevice, startSimulator, type Simulator } from "../simulator/index";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { STEWARD_DEVICE_NAME } from "../../app/services/auth/steward-device";

describe.skipIf(!haveChromium)("Steward devices in a browser", () => {
  let sim: Simulator;
  let steward: TestSteward;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let context: BrowserContext;
  let page: Page;
  let admin: string;

  beforeAll(async () => {
    sim = await startSimulator({ users: 8, seed: 21 });
    admin = `@admin:${sim.serverName}`;
    // Two sign-ins from before Steward reused devices, never signed out.
    addDevice(sim.state, admin, { device_id: "OLDSTEWARD1", display_name: STEWARD_DEVICE_NAME, last_seen_ts: Date.now() - 40 * 86_400_000, last_seen_ip: "10.0.0.7" });
    addDevice(sim.state, admin, { device_id: "OLDSTEWARD2", display_name: STEWARD_DEVICE_NAME, last_seen_ts: Date.now() - 9 * 86_400_000, last_seen_ip: "10.0.0.9" });
    steward = await startTestSteward({ homeserverUrl: sim.url });
    ({ browser, close: closeBrowser } = await launchBrowser());
    context = await browser.newContext();
    page = await context.newPage();
  }, 180_000);
  afterAll(async () => {
    await closeBrowser?.();
    await steward?.close();
    await sim?.close();
  });

  async function signIn() {
    await page.goto(steward.url + "/login");
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("admin");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(steward.url + "/");
  }
  const stewardDeviceIds = () => [...sim.state.devices.get(admin)!.values()].filter((d) => d.display_name === STEWARD_DEVICE_NAME).map((d) => d.device_id);

  it("shows the count in the header and on the admin's own page, and signs an old device out from there", async () => {
    await signIn();
    await expect.poll(() => page.getByTestId("steward-devices").textContent()).toBe("3 Steward devices");
    await page.screenshot({ path: artifactPath("steward-devices-header.png") });
    await page.getByTestId("steward-devices").click();
    await page.waitForURL(new RegExp(`/users/${encodeURIComponent(admin).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    const note = page.getByTestId("steward-devices-note");
    await expect.poll(() => note.textContent()).toContain("Your account has 3 Steward devices");
    expect(await note.textContent()).toContain("the other 2 are left from other browsers or earlier sign-ins");
    expect(await page.getByTestId("steward-device").count()).toBe(3);
    await page.screenshot({ path: artifactPath("steward-devices-own-page.png"), fullPage: true });

    await page.getByRole("link", { name: "Sign out session OLDSTEWARD1…" }).click();
    await page.waitForURL(/\/act\?action=sign-out-device&device=OLDSTEWARD1/);
    await page.getByRole("button", { name: "Yes: sign out this session" }).click();
    await page.waitForURL(/\?done=sign-out-device/);
    await expect.poll(() => page.getByTestId("steward-devices-note").textContent()).toContain("Your account has 2 Steward devices");
    expect(stewardDeviceIds().sort()).toEqual(expect.arrayContaining(["OLDSTEWARD2"]));
    expect(stewardDeviceIds()).not.toContain("OLDSTEWARD1");
  });

  it("signing in again from the same browser keeps one device for it", async () => {
    const before = stewardDeviceIds();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login\?reason=signed_out/);
    // Signing out logged this browser's device out; the next sign-in brings back the same device id, not a new one.
    await signIn();
    await page.goto(steward.url + `/users/${encodeURIComponent(admin)}`);
    await expect.poll(() => page.getByTestId("steward-devices-note").textContent()).toContain("Your account has 2 Steward devices");
    expect(stewardDeviceIds().sort()).toEqual([...before].sort());
    await page.screenshot({ path: artifactPath("steward-devices-after-second-sign-in.png"), fullPage: true });
  });
});

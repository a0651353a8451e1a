/**
 * Issue 16: an admin signs in through MAS in real Chromium (Steward's button, MAS's login and consent pages, the
 * callback) and signs out (revoked at MAS); a non-admin is refused by MAS with the reason and never gets in.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { artifactPath, haveChromium, launchBrowser } from "../helpers/browser";
import { startMasWorld, type MasWorld } from "../helpers/mas";

describe.skipIf(!haveChromium)("MAS sign-in in a browser", { timeout: 180_000 }, () => {
  let w: MasWorld;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;

  beforeAll(async () => {
    w = await startMasWorld({ synapseVersion: "1.157.1" });
    ({ browser, close: closeBrowser } = await launchBrowser());
  }, 180_000);
  afterAll(async () => {
    await closeBrowser?.();
    await w?.close();
  });

  async function throughMas(username: string, password: string) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${w.steward.url}/`);
    await page.waitForURL(/\/login/);
    expect(await page.getByTestId("auth-mode").textContent()).toContain("delegates sign-in to the Matrix Authentication Service");
    await page.screenshot({ path: artifactPath("mas-sign-in-page.png") });
    await page.getByRole("link", { name: "Sign in with the authentication service" }).click();
    await page.waitForURL(new RegExp(`^${w.mas.url}/login`));
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Continue" }).click();
    return { context, page };
  }

  it("lets the admin in after MAS's consent page, and signing out revokes the grant at MAS", async () => {
    const { context, page } = await throughMas("admin", "admin");
    await page.waitForURL(/\/consent\//);
    expect(await page.textContent("body")).toContain("Steward");
    await page.screenshot({ path: artifactPath("mas-consent.png") });
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(`${w.steward.url}/`);
    await expect.poll(() => page.getByTestId("admin-user").textContent()).toBe(`@admin:${w.sim.serverName}`);
    await page.screenshot({ path: artifactPath("mas-signed-in.png") });
    const html = await page.content();
    for (const t of w.mas.state.accessTokens.keys()) expect(html).not.toContain(t);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login\?reason=signed_out/);
    expect([...w.mas.state.oauth2Sessions.values()].every((s) => s.finished_at !== null)).toBe(true);
    await context.close();
  });

  it("refuses a non-admin at MAS with the reason; no Steward session is made", async () => {
    const user = [...w.sim.state.users.values()].find((u) => !u.admin && u.password && !u.locked && !u.deactivated)!;
    const before = w.mas.state.oauth2Sessions.size;
    const { context, page } = await throughMas(user.localpart, user.password!);
    await page.waitForURL(/\/consent\//);
    const text = await page.textContent("body");
    expect(text).toContain("denied by the policy");
    expect(text).toContain("not allowed to request the scope urn:mas:admin");
    await page.screenshot({ path: artifactPath("mas-non-admin-refused.png") });
    expect(w.mas.state.oauth2Sessions.size).toBe(before);
    await page.goto(`${w.steward.url}/`);
    await page.waitForURL(/\/login/);
    await context.close();
  });
});

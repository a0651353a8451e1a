/**
 * Sign-in and sign-out in real Chromium against the real server and the simulator: the good path, a wrong
 * password, a non-admin, sign-out, and a forged (CSRF-less) sign-out refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { haveChromium, launchBrowser, artifactPath } from "../helpers/browser";
import { startSimulator, type Simulator } from "../simulator/index";
import { startTestSteward, type TestSteward } from "../helpers/steward";

describe.skipIf(!haveChromium)("sign-in in a browser", () => {
  let sim: Simulator;
  let steward: TestSteward;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;

  beforeAll(async () => {
    sim = await startSimulator({ users: 8, seed: 3 });
    steward = await startTestSteward({ homeserverUrl: sim.url });
    ({ browser, close: closeBrowser } = await launchBrowser());
  });
  afterAll(async () => {
    await closeBrowser?.();
    await steward?.close();
    await sim?.close();
  });

  const cspViolations: string[] = [];
  async function signIn(username: string, password: string) {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    await page.goto(steward.url + "/");
    await page.waitForURL(/\/login/);
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    return { context, page };
  }

  it("lets the admin in, shows the shell, and signs out", async () => {
    const { context, page } = await signIn("admin", "admin");
    await page.waitForURL(steward.url + "/");
    await expect.poll(() => page.getByTestId("admin-user").textContent()).toBe(`@admin:${sim.serverName}`);
    expect(await page.getByTestId("homeserver").textContent()).toContain("Synapse 1.132.0");
    for (const name of ["Overview", "Tokens", "Users", "Federation", "Security", "Audit"]) {
      expect(await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).count()).toBe(1);
    }
    await page.screenshot({ path: artifactPath("sign-in-shell.png") });
    // Hydrated under the nonce-based CSP: client-side navigation works and nothing was blocked.
    await expect.poll(() => page.evaluate(() => Boolean((window as unknown as { __remixRouter?: unknown }).__remixRouter))).toBe(true);
    expect(cspViolations).toEqual([]);
    await page.getByRole("link", { name: "Audit", exact: true }).click();
    await page.waitForURL(/\/audit$/);
    await expect.poll(() => page.getByText(`@admin:${sim.serverName} signed in to`).count()).toBeGreaterThan(0);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login\?reason=signed_out/);
    await expect.poll(() => page.getByText("You have signed out.").count()).toBe(1);
    await page.goto(steward.url + "/");
    await page.waitForURL(/\/login/);
    await context.close();
  });

  it("says so for a wrong password", async () => {
    const { context, page } = await signIn("admin", "not-the-password");
    await expect.poll(() => page.getByText("Wrong username or password.").count()).toBe(1);
    expect(page.url()).toContain("/login");
    await context.close();
  });

  it("refuses a non-admin with a clear message", async () => {
    const user = [...sim.state.users.values()].find((u) => !u.admin && u.password && !u.deactivated && !u.locked && !u.is_guest)!;
    const { context, page } = await signIn(user.localpart, user.password!);
    await expect.poll(() => page.getByText(`${user.name} is not a server admin`).count()).toBe(1);
    await context.close();
  });

  it("refuses a sign-out forged by another site (no CSRF token)", async () => {
    const { context, page } = await signIn("admin", "admin");
    await page.waitForURL(steward.url + "/");
    // A form on a page that is not Steward's cannot know the CSRF token.
    const status = await page.evaluate(async () => (await fetch("/logout", { method: "POST", body: new URLSearchParams({ csrf: "forged" }) })).status);
    expect(status).toBe(403);
    await page.reload();
    await expect.poll(() => page.getByTestId("admin-user").count()).toBe(1);
    await context.close();
  });
});

/**
 * Issue 16, item 5 in real Chromium, against the MAS and delegated Synapse simulators: the admin signs in through
 * MAS and issues a token; the token's page gives MAS's registration page and the code to paste; an invitee follows
 * the message on MAS's pages; the page then shows the use; the token is edited without JavaScript. Decision 025.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { artifactPath, haveChromium, launchBrowser } from "../helpers/browser";
import { startMasWorld, type MasWorld } from "../helpers/mas";

describe.skipIf(!haveChromium)("MAS invitations in a browser", { timeout: 180_000 }, () => {
  let w: MasWorld;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;

  beforeAll(async () => {
    w = await startMasWorld({ env: { PUBLIC_REGISTRATION: "true" } });
    ({ browser, close: closeBrowser } = await launchBrowser());
  }, 180_000);
  afterAll(async () => {
    await closeBrowser?.();
    await w?.close();
  });

  /** Signs the admin in through MAS (a link and MAS's plain forms: works with JavaScript off too). */
  async function adminPage(javaScriptEnabled: boolean): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ javaScriptEnabled, viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${w.steward.url}/login`);
    await page.getByRole("link", { name: "Sign in with the authentication service" }).click();
    await page.waitForURL(new RegExp(`^${w.mas.url}/login`));
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("admin");
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(/\/consent\//);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(`${w.steward.url}/`);
    return { context, page };
  }

  /** Text-like inputs without a type or without the app's styling (as tests/e2e/invite.test.ts checks). */
  const unstyledInputs = (page: Page) =>
    page.evaluate(() =>
      [...document.querySelectorAll("input, textarea")]
        .filter((i) => !["hidden", "checkbox", "radio", "submit", "button"].includes((i as HTMLInputElement).type))
        .filter((i) => (i.tagName === "INPUT" && !i.hasAttribute("type")) || parseFloat(getComputedStyle(i).paddingLeft) < 4 || getComputedStyle(i).borderTopLeftRadius === "0px")
        .map((i) => (i as HTMLInputElement).name || i.id),
    );

  it("issues, sends MAS's registration page with the code, and shows the use once the invitee has registered", async () => {
    const { context, page } = await adminPage(true);
    await page.goto(`${w.steward.url}/tokens/new`);
    await page.getByLabel("For whom").fill("Frank");
    await page.getByRole("button", { name: "Issue token" }).click();
    await page.waitForURL(/\/tokens\/mas\/[0-9A-Z]{26}\?issued=1$/);
    await page.getByTestId("invite-message").waitFor();
    const message = await page.getByTestId("invite-message").inputValue();
    const code = await page.getByTestId("issued-token").inputValue();
    expect(message).toContain(`1. Open this link: ${w.mas.url}/register`);
    expect(message).toContain(`3. When you are asked for a registration token, paste this invitation code: ${code}`);
    expect(page.url()).not.toContain(code);
    expect(await unstyledInputs(page)).toEqual([]);
    await page.screenshot({ path: artifactPath("mas-invite-token-page.png"), fullPage: true });

    // The invitee, in their own browser, does what the message says.
    const invitee = await (await browser.newContext()).newPage();
    await invitee.goto(/Open this link: (\S+)/.exec(message)![1]);
    await invitee.getByLabel("Username").fill("frank");
    await invitee.getByLabel("Password", { exact: true }).fill("correct horse battery");
    await invitee.getByLabel("Confirm password").fill("correct horse battery");
    await invitee.getByRole("button", { name: "Continue" }).click();
    await invitee.waitForURL(/\/token$/);
    await invitee.getByLabel("Token").fill(code);
    await invitee.getByRole("button", { name: "Continue" }).click();
    await invitee.getByRole("button", { name: "Skip" }).click();
    await invitee.waitForURL(`${w.mas.url}/account/`);
    expect(w.sim.state.users.has(`@frank:${w.sim.serverName}`)).toBe(true);

    await page.reload();
    expect(await page.getByTestId("times-used").textContent()).toBe("1");
    expect(await page.getByTestId("token-state").first().textContent()).toBe("used up");
    await page.getByTestId("no-invite").waitFor();
    await context.close();
  });

  it("Steward's /register explains the steps and links to MAS (styled, no form of its own)", async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${w.steward.url}/register?token=from-an-old-link`);
    expect(await page.getByTestId("mas-code").inputValue()).toBe("from-an-old-link");
    expect(await unstyledInputs(page)).toEqual([]);
    await page.screenshot({ path: artifactPath("mas-invite-register.png") });
    await page.getByRole("link", { name: "Open the registration page" }).click();
    await page.waitForURL(`${w.mas.url}/register/password`);
  });

  it("edits a token without JavaScript: a mistake is shown beside the field and kept; a valid change is saved in MAS", async () => {
    const { context, page } = await adminPage(false);
    await page.goto(`${w.steward.url}/tokens/new`);
    await page.getByLabel("For whom").fill("Grace");
    await page.getByRole("button", { name: "Issue token" }).click();
    await page.waitForURL(/\/tokens\/mas\/[0-9A-Z]{26}\?issued=1$/);
    const id = /\/tokens\/mas\/([0-9A-Z]{26})/.exec(page.url())![1];
    await page.getByLabel("Usage limit").fill("many");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByText("Enter a whole number (0 or more), or leave it empty for no limit.").waitFor();
    expect(await page.getByLabel("Usage limit").inputValue()).toBe("many");
    await page.getByLabel("Usage limit").fill("4");
    await page.getByLabel("Expires").selectOption("never");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByText("Changes saved.").waitFor();
    expect(w.mas.state.registrationTokens.get(id)).toMatchObject({ usage_limit: 4, expires_at: null });
    await page.getByRole("button", { name: "Revoke this token" }).click();
    await page.getByRole("button", { name: "Restore this token" }).waitFor();
    expect(w.mas.state.registrationTokens.get(id)!.revoked_at).not.toBeNull();
    await context.close();
  });
});

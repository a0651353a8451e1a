/**
 * The whole invitation path in real Chromium: the admin issues a token for "Alice" with 1 use, the invitee opens the
 * link in a fresh browser context WITHOUT JavaScript and registers alice2, the token shows completed 1 and "used up",
 * the same link then gives the friendly page, and revoking another token makes its link fail. Audit log checked.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { artifactPath, haveChromium, launchBrowser } from "../helpers/browser";
import { startSimulator, type Simulator } from "../simulator/index";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { registrationTokenSnapshots } from "../../db/schema";

describe.skipIf(!haveChromium)("registration tokens and invitations in a browser", () => {
  let sim: Simulator;
  let steward: TestSteward;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let admin: Page;
  let inviteLink = "";
  let token = "";

  beforeAll(async () => {
    sim = await startSimulator({ users: 4, seed: 11 });
    steward = await startTestSteward({ homeserverUrl: sim.url, env: { ADMIN_CONTACT: "@admin:sim.test" } });
    // The invite link must point at this server, whose port is only known now.
    steward.context.config.publicBaseUrl = steward.url;
    ({ browser, close: closeBrowser } = await launchBrowser());
    admin = await (await browser.newContext({ viewport: { width: 1200, height: 1000 } })).newPage();
    await admin.goto(steward.url + "/login");
    await admin.getByLabel("Username").fill("admin");
    await admin.getByLabel("Password").fill("admin");
    await admin.getByRole("button", { name: "Sign in" }).click();
    await admin.waitForURL(steward.url + "/");
  });
  afterAll(async () => {
    await closeBrowser?.();
    await steward?.close();
    await sim?.close();
  });

  it("issues a token for Alice with 1 use and shows the invite", async () => {
    await admin.goto(steward.url + "/tokens/new");
    await admin.getByLabel("For whom").fill("Alice");
    expect(await admin.getByLabel("Uses").inputValue()).toBe("1");
    // A count is a few digits: its box is narrow, not the form's full width like the text fields.
    const usesWidth = (await admin.getByLabel("Uses").boundingBox())!.width;
    expect(usesWidth).toBeLessThan((await admin.getByLabel("For whom").boundingBox())!.width / 2);
    expect(await admin.getByLabel("Expires", { exact: true }).inputValue()).toBe("7d");
    expect(await admin.getByLabel("Note").count()).toBe(1);
    expect(await admin.getByLabel("Token", { exact: true }).count()).toBe(1);
    await admin.getByRole("button", { name: "Issue token" }).click();
    await admin.waitForURL(/\/tokens\/[^/]+\?issued=1/);
    token = await admin.getByTestId("issued-token").inputValue();
    inviteLink = await admin.getByTestId("invite-link").inputValue();
    expect(inviteLink).toBe(`${steward.url}/register?token=${encodeURIComponent(token)}`);
    expect(sim.state.registrationTokens.get(token)).toMatchObject({ uses_allowed: 1, completed: 0 });
    expect(await admin.getByTestId("invite-message").inputValue()).toContain("Hi Alice,");
    // The QR code is a data: image the CSP allows: it must actually have loaded.
    const qrLoaded = await admin.getByTestId("invite-qr").evaluate((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0);
    expect(qrLoaded).toBe(true);
    await admin.screenshot({ path: artifactPath("tokens-issued.png"), fullPage: true });
  });

  it("lets the invitee register alice2 in a fresh context without JavaScript", async () => {
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await ctx.newPage();
      await page.goto(inviteLink);
      await page.getByLabel("Username").fill("alice2");
      await page.getByLabel("Password", { exact: true }).fill("correct horse battery");
      await page.getByLabel("Confirm password").fill("correct horse battery");
      await page.getByRole("button", { name: "Create account" }).click();
      await page.waitForURL(/\/register\/welcome\?/);
      expect(await page.getByTestId("new-user-id").textContent()).toBe("@alice2:sim.test");
      expect(await page.getByTestId("admin-contact").textContent()).toContain("@admin:sim.test");
      await page.screenshot({ path: artifactPath("tokens-welcome.png"), fullPage: true });
      expect(sim.state.users.get("@alice2:sim.test")).toBeDefined();
    } finally {
      await ctx.close();
    }
  });

  it("shows the token as completed 1 and used up, with its daily history charted", async () => {
    // Two daily readings as the "tokens" collector takes them.
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await steward.database.db.insert(registrationTokenSnapshots).values([
      { token, day: yesterday, completed: 0, pending: 0, usesAllowed: 1, takenAt: new Date(Date.now() - 86_400_000) },
      { token, day: today, completed: 1, pending: 0, usesAllowed: 1, takenAt: new Date() },
    ]);
    await admin.goto(`${steward.url}/tokens/${encodeURIComponent(token)}`);
    expect(await admin.getByTestId("token-completed").textContent()).toBe("1");
    expect(await admin.getByTestId("token-state").first().textContent()).toBe("used up");
    await admin.getByTestId("token-history").locator("svg.recharts-surface").first().waitFor();
    // The days under the bars read as dates ("28 Nov"), not as the snapshots' ISO keys.
    const xTicks = admin.getByTestId("token-history").locator(".recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value");
    await expect.poll(() => xTicks.count()).toBeGreaterThan(0);
    const ticks = await xTicks.allTextContents();
    const short = (d: string) => new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "UTC" }).format(Date.parse(`${d}T00:00:00Z`));
    for (const t of ticks) expect([short(yesterday), short(today)]).toContain(t);
    await admin.screenshot({ path: artifactPath("tokens-detail-used-up.png"), fullPage: true });
    await admin.goto(`${steward.url}/tokens?q=Alice`);
    const row = admin.locator(`tr[data-token="${token}"]`);
    expect(await row.getByTestId("completed").textContent()).toBe("1");
    expect(await row.getByTestId("token-state").textContent()).toBe("used up");
    await admin.screenshot({ path: artifactPath("tokens-list.png"), fullPage: true });
  });

  it("refuses a second registration with the same link with the friendly page", async () => {
    const ctx = await browser.newContext();
    try {
      const page = await ctx.newPage();
      await page.goto(inviteLink);
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("This invite does not work");
      expect(await page.getByRole("button", { name: "Create account" }).count()).toBe(0);
    } finally {
      await ctx.close();
    }
  });

  it("revokes another token (with a confirmation step) and its link stops working", async () => {
    const other = "welcome-friends";
    const link = `${steward.url}/register?token=${other}`;
    const ctx = await browser.newContext();
    try {
      const invitee = await ctx.newPage();
      await invitee.goto(link);
      expect(await invitee.getByRole("button", { name: "Create account" }).count()).toBe(1);

      await admin.goto(`${steward.url}/tokens/${other}`);
      await admin.getByRole("button", { name: "Revoke", exact: true }).click();
      await admin.getByRole("button", { name: "Yes, revoke this token" }).click();
      await admin.waitForURL(/revoked=1/);
      expect(await admin.getByTestId("revoked-by").textContent()).toContain("@admin:sim.test");
      expect(sim.state.registrationTokens.has(other)).toBe(false);

      await invitee.goto(link);
      expect(await invitee.getByRole("heading", { level: 1 }).textContent()).toBe("This invite does not work");
    } finally {
      await ctx.close();
    }
  });

  it("lists each action with its actor in the audit log", async () => {
    await admin.goto(`${steward.url}/audit`);
    const text = (await admin.locator("main").textContent()) ?? "";
    // Sentences, not internal action names (issue 14, item 11).
    expect(text).toMatch(/@admin:sim\.test issued registration token/);
    expect(text).toMatch(/@admin:sim\.test revoked registration token/);
    expect(text).toMatch(/@alice2:sim\.test registered with registration token/);
    expect(text).not.toContain("token.create");
    expect(text).toContain("@alice2:sim.test");
    expect(text).toContain("@admin:sim.test");
  });
});

/**
 * Issue 16, "done when", in real Chromium against the simulators in delegated mode (Synapse 1.157.1 + MAS): the admin
 * signs in through MAS (login, consent, callback), a non-admin is refused with MAS's reason, the admin issues a token
 * on /tokens/new, an invitee registers on MAS's own registration page with it (pasted, as MAS v1.22 needs), /tokens
 * shows the use, revoke and restore work, the invitee is locked and unlocked and one of their sessions signed out (in
 * MAS), the posture scan ("Scan now") completes and its report shows, and signing
 * out revokes the grant at MAS. Each step waits for the new page's content, not just its address (React draws after
 * the address changes). Screenshots go to test-artifacts/mas-flow-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { artifactPath, haveChromium, launchBrowser } from "../helpers/browser";
import { startMasWorld, type MasWorld } from "../helpers/mas";
import { introspection } from "../simulator/mas/tokens";

describe.skipIf(!haveChromium)("the MAS flow in a browser (Synapse delegating to MAS)", { timeout: 180_000 }, () => {
  let w: MasWorld;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let adminContext: BrowserContext;
  let admin: Page;
  let token = "";

  beforeAll(async () => {
    w = await startMasWorld({ synapseVersion: "1.157.1", users: 12 });
    ({ browser, close: closeBrowser } = await launchBrowser());
    adminContext = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    admin = await adminContext.newPage();
  }, 180_000);
  afterAll(async () => {
    await closeBrowser?.();
    await w?.close();
  });

  /** From Steward's sign-in page to MAS's page after the password (consent, or the policy's refusal). */
  async function throughMasLogin(page: Page, username: string, password: string): Promise<void> {
    await page.goto(`${w.steward.url}/`);
    await page.waitForURL(/\/login/);
    await page.getByRole("link", { name: "Sign in with the authentication service" }).waitFor();
    await page.getByRole("link", { name: "Sign in with the authentication service" }).click();
    await page.waitForURL(new RegExp(`^${w.mas.url}/login`));
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(/\/consent\//);
  }

  it("signs the admin in through MAS: its consent page, then Steward's callback", async () => {
    await throughMasLogin(admin, "admin", "admin");
    await admin.getByRole("heading", { name: "Allow access?" }).waitFor();
    expect(await admin.textContent("body")).toContain("Steward");
    await admin.screenshot({ path: artifactPath("mas-flow-consent.png") });
    await admin.getByRole("button", { name: "Continue" }).click();
    await admin.waitForURL(`${w.steward.url}/`);
    await expect.poll(() => admin.getByTestId("admin-user").textContent()).toBe(`@admin:${w.sim.serverName}`);
    // The tokens card says where MAS's tokens are, not "wait for the tokens collector" (which never reads them).
    await expect.poll(() => admin.locator('[data-kpi="tokens.valid"]').textContent()).toContain("live in its authentication service (MAS)");
    await admin.screenshot({ path: artifactPath("mas-flow-signed-in.png") });
  });

  it("refuses a non-admin with MAS's reason, and makes no Steward session", async () => {
    const user = [...w.sim.state.users.values()].find((u) => !u.admin && u.password && !u.locked && !u.deactivated && !u.is_guest)!;
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const sessions = w.mas.state.oauth2Sessions.size;
      await throughMasLogin(page, user.localpart, user.password!);
      await page.getByRole("heading", { name: /denied by the policy/ }).waitFor();
      expect(await page.textContent("body")).toContain("not allowed to request the scope urn:mas:admin");
      await page.screenshot({ path: artifactPath("mas-flow-non-admin.png") });
      expect(w.mas.state.oauth2Sessions.size).toBe(sessions);
      await page.goto(`${w.steward.url}/tokens`);
      await page.waitForURL(/\/login/);
    } finally {
      await context.close();
    }
  });

  it("issues a token on /tokens/new into MAS", async () => {
    await admin.goto(`${w.steward.url}/tokens/new`);
    await admin.getByLabel("For whom").fill("Dana");
    await admin.getByLabel("Note").fill("from the climbing club");
    await admin.getByRole("button", { name: "Issue token" }).click();
    // The issued token's own page, with the invitation to send (MAS tokens are addressed by MAS's id).
    await admin.waitForURL(/\/tokens\/mas\/[0-9A-Z]{26}\?issued=1$/);
    await admin.getByTestId("issued-token").waitFor();
    token = await admin.getByTestId("issued-token").inputValue();
    expect(token).toMatch(/^[A-Za-z0-9._~-]{16}$/);
    await admin.screenshot({ path: artifactPath("mas-flow-token-issued.png"), fullPage: true });
    await admin.goto(`${w.steward.url}/tokens`);
    const row = admin.locator(`tr[data-token="${token}"]`);
    await expect.poll(() => row.getByTestId("token-state").textContent()).toBe("valid");
    expect(await row.textContent()).toContain("Dana");
    expect([...w.mas.state.registrationTokens.values()].find((t) => t.token === token)).toMatchObject({ usage_limit: 1, times_used: 0, revoked_at: null });
    await admin.screenshot({ path: artifactPath("mas-flow-tokens-list.png"), fullPage: true });
  });

  it("lets an invitee register on MAS's registration page with that token (pasted)", async () => {
    const context = await browser.newContext({ viewport: { width: 900, height: 800 } });
    try {
      const page = await context.newPage();
      await page.goto(`${w.mas.url}/register`);
      await page.getByRole("heading", { name: "Create an account" }).waitFor();
      await page.getByLabel("Username").fill("dana");
      await page.getByLabel("Password", { exact: true }).fill("correct horse battery");
      await page.getByLabel("Confirm password").fill("correct horse battery");
      await page.getByRole("button", { name: "Continue" }).click();
      await page.waitForURL(/\/register\/steps\/[^/]+\/token/);
      await page.getByRole("heading", { name: "Registration token" }).waitFor();
      await page.getByLabel("Token").fill(token);
      await page.screenshot({ path: artifactPath("mas-flow-register-token.png") });
      await page.getByRole("button", { name: "Continue" }).click();
      await page.waitForURL(/\/display-name/);
      await page.getByLabel("Display name").fill("Dana");
      await page.getByRole("button", { name: "Continue" }).click();
      await page.waitForURL(/\/account\//);
      expect([...w.mas.state.users.values()].some((u) => u.username === "dana")).toBe(true);
      expect(w.sim.state.users.get(`@dana:${w.sim.serverName}`)?.displayname).toBe("Dana");
    } finally {
      await context.close();
    }
  });

  it("shows the use on /tokens (counted when the registration completed)", async () => {
    await admin.goto(`${w.steward.url}/tokens`);
    const row = admin.locator(`tr[data-token="${token}"]`);
    await expect.poll(() => row.getByTestId("times-used").textContent()).toBe("1");
    expect(await row.getByTestId("token-state").textContent()).toBe("used up");
    await admin.screenshot({ path: artifactPath("mas-flow-token-used.png"), fullPage: true });
  });

  it("revokes the token, then restores it (MAS can undo a revoke)", async () => {
    const row = admin.locator(`tr[data-token="${token}"]`);
    // Each row's button says "Revoke"; its accessible name carries the token.
    expect(await row.getByRole("button", { name: `Revoke ${token}` }).textContent()).toBe("Revoke");
    await row.getByRole("button", { name: `Revoke ${token}` }).click();
    await admin.getByRole("status").filter({ hasText: `Revoked ${token}.` }).waitFor();
    await expect.poll(() => row.getByTestId("token-state").textContent()).toBe("revoked");
    expect([...w.mas.state.registrationTokens.values()].find((t) => t.token === token)!.revoked_at).not.toBeNull();
    await admin.screenshot({ path: artifactPath("mas-flow-token-revoked.png"), fullPage: true });
    await row.getByRole("button", { name: `Restore ${token}` }).click();
    await admin.getByRole("status").filter({ hasText: `Restored ${token}.` }).waitFor();
    await expect.poll(() => row.getByTestId("token-state").textContent()).toBe("used up");
    expect([...w.mas.state.registrationTokens.values()].find((t) => t.token === token)!.revoked_at).toBeNull();
  });

  describe("MAS user actions: lock, unlock and session sign-out", () => {
    const danaPage = () => `${w.steward.url}/users/${encodeURIComponent(`@dana:${w.sim.serverName}`)}`;
    const dana = () => [...w.mas.state.users.values()].find((u) => u.username === "dana")!;

    it("opens the invitee's account page, where those actions act", async () => {
      await admin.goto(danaPage());
      await admin.getByRole("heading", { name: `@dana:${w.sim.serverName}` }).waitFor();
      await expect.poll(() => admin.getByTestId("displayname").textContent()).toBe("Dana");
    });

    it("locks the invitee in MAS, then unlocks", async () => {
      await admin.goto(danaPage());
      await admin.getByRole("link", { name: "Lock the account…", exact: true }).click();
      await admin.getByRole("button", { name: "Yes: lock the account" }).waitFor();
      expect(await admin.getByTestId("consequence").textContent()).toContain("authentication service");
      await admin.getByRole("button", { name: "Yes: lock the account" }).click();
      await expect.poll(() => admin.getByTestId("action-done").textContent(), { timeout: 15_000 }).toBe("The account is locked.");
      expect(dana().locked_at).not.toBeNull();
      await admin.screenshot({ path: artifactPath("mas-flow-locked.png"), fullPage: true });
      await admin.getByRole("link", { name: "Unlock the account…" }).click();
      await admin.getByRole("button", { name: "Yes: unlock the account" }).click();
      await expect.poll(() => admin.getByTestId("action-done").textContent(), { timeout: 15_000 }).toBe("The account is unlocked.");
      expect(dana().locked_at).toBeNull();
    });

    it("signs one of the invitee's sessions out, which finishes it in MAS", async () => {
      // Dana signs in with a Matrix client (a compatibility session in MAS, a device in Synapse).
      w.mas.compatToken("dana");
      const session = [...w.mas.state.compatSessions.values()].find((x) => x.user_id === dana().id && x.finished_at === null)!;
      await admin.goto(danaPage());
      const row = admin.locator(`[data-testid="mas-sessions"] tr[data-session="compat:${session.id}"]`);
      await row.waitFor();
      await row.getByRole("link", { name: /^Sign out .*…$/ }).click();
      await admin.getByRole("button", { name: "Yes: sign out this session" }).waitFor();
      expect(await admin.getByTestId("consequence").textContent()).toContain("will be finished in the authentication service");
      await admin.getByRole("button", { name: "Yes: sign out this session" }).click();
      await expect.poll(() => admin.getByTestId("action-done").textContent(), { timeout: 15_000 }).toBe("The session was signed out in the authentication service.");
      expect(w.mas.state.compatSessions.get(session.id)!.finished_at).not.toBeNull();
      expect(await admin.locator(`[data-testid="mas-sessions"] tr[data-session="compat:${session.id}"]`).count()).toBe(0);
      await admin.screenshot({ path: artifactPath("mas-flow-session-signed-out.png"), fullPage: true });
    });
  });

  it("runs the posture scan from /security and shows the report", async () => {
    await admin.goto(`${w.steward.url}/security`);
    const scan = admin.getByTestId("refresh-posture");
    await scan.getByRole("button", { name: "Scan now" }).click();
    await scan.getByRole("status").filter({ hasText: /^Done: \d+ accounts? checked \(deactivated ones and bots too\)\.$/ }).waitFor({ timeout: 120_000 });
    await admin.getByTestId("posture-cards").waitFor();
    await admin.getByTestId("posture-table").waitFor();
    await admin.screenshot({ path: artifactPath("mas-flow-security.png"), fullPage: true });
  });

  it("signs out, which revokes the grant at MAS (its access token is no longer active)", async () => {
    const steward = [...w.mas.state.oauth2Sessions.values()].filter((s) => s.finished_at === null);
    expect(steward.length).toBeGreaterThan(0);
    const accessTokens = [...w.mas.state.accessTokens.values()].filter((t) => t.session.kind === "oauth2" && steward.some((s) => s.id === t.session.id)).map((t) => t.token);
    await admin.getByRole("button", { name: "Sign out" }).click();
    await admin.waitForURL(/\/login\?reason=signed_out/);
    await admin.getByRole("link", { name: "Sign in with the authentication service" }).waitFor();
    await admin.screenshot({ path: artifactPath("mas-flow-signed-out.png") });
    expect(steward.every((s) => w.mas.state.oauth2Sessions.get(s.id)!.finished_at !== null)).toBe(true);
    for (const t of accessTokens) expect(introspection(w.mas.state, t, w.sim.clock.now())).toEqual({ active: false });
  });
});

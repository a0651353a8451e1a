/**
 * The invite flow as people see it (issue 14 items 1–8), in real Chromium against the real server and the simulator:
 * who used a token, generated tokens and the invite message, the /register page's messages, styled and typed
 * inputs on every screen, the revoke confirmation in view (with and without JavaScript), token states, and one
 * token per issue form.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { artifactPath, haveChromium, launchBrowser } from "../helpers/browser";
import { startSimulator, type Simulator } from "../simulator/index";
import { addRegistrationToken } from "../simulator/state-tokens";
import { startTestSteward, type TestSteward } from "../helpers/steward";

describe.skipIf(!haveChromium && !process.env.STEWARD_REQUIRE_BROWSER)("the invite flow in a browser", () => {
  let sim: Simulator;
  let steward: TestSteward;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let adminCtx: BrowserContext;
  let admin: Page;

  const signIn = async (page: Page) => {
    await page.goto(steward.url + "/login");
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("admin");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(steward.url + "/");
  };

  /** Issues a token through the form (JavaScript on) and returns its text. */
  const issue = async (forWhom: string, uses = "1") => {
    await admin.goto(steward.url + "/tokens/new");
    await admin.getByLabel("For whom").fill(forWhom);
    await admin.getByLabel("Uses").fill(uses);
    await admin.getByRole("button", { name: "Issue token" }).click();
    await admin.waitForURL(/\/tokens\/[^/]+\?issued=1/);
    return admin.getByTestId("issued-token").inputValue();
  };

  beforeAll(async () => {
    sim = await startSimulator({ users: 4, seed: 14 });
    steward = await startTestSteward({ homeserverUrl: sim.url });
    steward.context.config.publicBaseUrl = steward.url;
    ({ browser, close: closeBrowser } = await launchBrowser());
    adminCtx = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    admin = await adminCtx.newPage();
    await signIn(admin);
  }, 120_000);
  afterAll(async () => {
    await closeBrowser?.();
    await steward?.close();
    await sim?.close();
  });

  it("generates tokens of letters and digits only, and the invite message has the link on its own line", async () => {
    const token = await issue("Gen");
    expect(token).toMatch(/^[A-HJ-NP-Za-km-np-z2-9]{16}$/);
    const link = await admin.getByTestId("invite-link").inputValue();
    const lines = (await admin.getByTestId("invite-message").inputValue()).split("\n");
    expect(lines).toContain(link);
  });

  it("shows who used a token on its page and a count in the list, and says how many registered outside Steward", async () => {
    const token = await issue("Bea", "3");
    const link = await admin.getByTestId("invite-link").inputValue();
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await ctx.newPage();
      await page.goto(link);
      await page.getByLabel("Username").fill("bea");
      await page.getByLabel("Password", { exact: true }).fill("correct horse battery");
      await page.getByLabel("Confirm password").fill("correct horse battery");
      await page.getByRole("button", { name: "Create account" }).click();
      await page.waitForURL(/\/register\/welcome\?/);
    } finally {
      await ctx.close();
    }
    // Someone else typed the token into a Matrix app: Synapse counts the registration, nobody is named.
    sim.state.registrationTokens.get(token)!.completed += 1;
    await admin.goto(`${steward.url}/tokens/${token}`);
    expect(await admin.getByTestId("used-by-user").textContent()).toMatch(/^@bea:sim\.test registered /);
    expect(await admin.getByTestId("used-by-outside").textContent()).toMatch(/^1 more registered outside Steward/);
    await admin.screenshot({ path: artifactPath("invite-used-by.png"), fullPage: true });
    await admin.goto(`${steward.url}/tokens?q=Bea`);
    expect(await admin.locator(`tr[data-token="${token}"]`).getByTestId("used-by-count").textContent()).toBe("1 via Steward, 1 outside");
  });

  it("/register: server answers replace the live check's verdict, and editing clears errors that no longer apply", async () => {
    addRegistrationToken(sim.state, { token: "stale-check", uses_allowed: null });
    const ctx = await browser.newContext();
    try {
      const page = await ctx.newPage();
      await page.goto(`${steward.url}/register?token=stale-check`);
      expect(await page.getByTestId("joining").textContent()).toContain("sim.test");
      const name = page.getByLabel("Username");
      await name.fill("12345");
      await page.getByText("may not be only digits").waitFor();
      await name.fill("x".repeat(250));
      await page.getByRole("button", { name: "Create account" }).click();
      await page.getByText("That username is too long.").waitFor();
      expect(await page.getByText("may not be only digits").count()).toBe(0);
      await name.fill("newbie2");
      expect(await page.getByText("That username is too long.").count()).toBe(0); // it no longer applies
      await page.getByLabel("Password", { exact: true }).fill("short");
      await page.getByLabel("Confirm password").fill("short");
      await page.getByRole("button", { name: "Create account" }).click();
      await page.getByText("This password is too short").waitFor();
      await page.waitForTimeout(900); // past the live check's debounce
      expect(await page.getByText("may not be only digits").count()).toBe(0);
      expect(await name.getAttribute("aria-invalid")).toBeNull();
      // Capitals: said before it happens.
      await name.fill("TestPerson");
      expect(await page.getByTestId("username-lowercased").textContent()).toContain("testperson");
      await page.screenshot({ path: artifactPath("invite-register.png"), fullPage: true });
    } finally {
      await ctx.close();
    }
  });

  it("styles every text-like input and gives every input a type, on every screen", async () => {
    addRegistrationToken(sim.state, { token: "outside-one", uses_allowed: 2 });
    const screens = ["/", "/tokens", "/tokens/new", "/tokens/outside-one", "/users", "/users/%40admin%3Asim.test", "/security", "/federation", "/audit"];
    const check = async (page: Page, path: string) => {
      await page.goto(steward.url + path);
      const bad = await page.evaluate(() =>
        [...document.querySelectorAll("input")]
          .filter((i) => !["hidden", "checkbox", "radio", "submit", "button"].includes(i.type))
          .filter((i) => !i.hasAttribute("type") || parseFloat(getComputedStyle(i).paddingLeft) < 4 || getComputedStyle(i).borderTopLeftRadius === "0px")
          .map((i) => i.name || i.id),
      );
      expect(bad, path).toEqual([]);
      const count = await page.locator("input:not([type=hidden])").count();
      return count;
    };
    let seen = 0;
    for (const path of screens) seen += await check(admin, path);
    const pub = await (await browser.newContext()).newPage();
    seen += await check(pub, "/register?token=outside-one");
    seen += await check(pub, "/login");
    expect(seen).toBeGreaterThan(10);
  });

  for (const js of [true, false]) {
    it(`shows the revoke confirmation where the eye is (JavaScript ${js ? "on" : "off"}), and a revoked token has nothing left and no expiry`, async () => {
      const token = `revoke-${js ? "js" : "nojs"}`;
      addRegistrationToken(sim.state, { token, uses_allowed: 5, expiry_time: sim.clock.now() + 7 * 86_400_000 });
      const ctx = js ? adminCtx : await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1200, height: 800 } });
      try {
        const page = js ? admin : await ctx.newPage();
        if (!js) await signIn(page).catch(() => undefined);
        await page.goto(`${steward.url}/tokens/${token}`);
        await page.getByRole("button", { name: "Revoke", exact: true }).click();
        const yes = page.getByRole("button", { name: "Yes, revoke this token" });
        await yes.waitFor();
        await page.waitForTimeout(300);
        const inView = await yes.evaluate((el) => {
          const r = el.getBoundingClientRect();
          return r.top >= 0 && r.bottom <= window.innerHeight;
        });
        expect(inView).toBe(true);
        await page.screenshot({ path: artifactPath(`invite-revoke-confirm-${js ? "js" : "nojs"}.png`) });
        await yes.click();
        await page.waitForURL(/revoked=1/);
        // With JavaScript the address changes before React draws the revoked token (the old page's cells are still
        // there): wait for the new content.
        await expect.poll(() => page.getByTestId("token-left").textContent()).toBe("0");
        await expect.poll(() => page.getByTestId("expiry").textContent()).toBe("— (revoked)");
        expect(await page.locator("main").textContent()).not.toContain("∞");
      } finally {
        if (!js) await ctx.close();
      }
    });
  }

  it("an expired token has nothing left; lists say 'unlimited', never '∞'", async () => {
    addRegistrationToken(sim.state, { token: "gone-stale", uses_allowed: 6, expiry_time: sim.clock.now() - 60_000 });
    await admin.goto(`${steward.url}/tokens/gone-stale`);
    expect(await admin.getByTestId("token-left").textContent()).toBe("0");
    expect(await admin.getByTestId("expiry").textContent()).toMatch(/^expired /);
    await admin.goto(`${steward.url}/tokens`);
    expect(await admin.locator("main").textContent()).not.toContain("∞");
  });

  it("two identical POSTs of the issue form (no JavaScript, double submit) create one token", async () => {
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await ctx.newPage();
      await signIn(page).catch(() => undefined);
      await page.goto(steward.url + "/tokens/new");
      await page.getByLabel("For whom").fill("Twice");
      const before = sim.state.registrationTokens.size;
      // The same form body sent twice, as a double click without JavaScript does.
      const body = await page.locator("form[action=\"/tokens/new\"]").evaluate((f) => new URLSearchParams(new FormData(f as HTMLFormElement) as never).toString());
      const post = () =>
        page.request.post(steward.url + "/tokens/new", {
          headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: steward.url },
          data: body,
          maxRedirects: 0,
        });
      const first = await post();
      const second = await post();
      expect([first.status(), second.status()]).toEqual([302, 302]);
      expect(second.headers().location.split("?")[0]).toBe(first.headers().location.split("?")[0]);
      expect(second.headers().location).toContain("repeated=1");
      expect(sim.state.registrationTokens.size).toBe(before + 1);
    } finally {
      await ctx.close();
    }
  });
});

/**
 * User actions in real Chromium against the real server and the simulator: each goes through its confirmation page
 * (the page says what will happen to whom), the homeserver's state changes as Synapse's would, the user's page shows
 * the new state, the audit log has the entry. Guard rails: no self-lock/self-deactivate, erase needs the typed user
 * id, a remote user's page offers nothing, a replayed form and a forged CSRF token change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { desc } from "drizzle-orm";
import { artifactPath, haveChromium, launchBrowser, openSignedInPage } from "../helpers/browser";
import { startSimulator, type Simulator } from "../simulator/index";
import { addDevice, addUser } from "../simulator/state";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { auditEvents } from "../../db/schema";

const BOB = "@bob:sim.test";

describe.skipIf(!haveChromium)("user actions in a browser", () => {
  let sim: Simulator;
  let steward: TestSteward;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  const userPage = (id: string) => `${steward.url}/users/${encodeURIComponent(id)}`;
  const lastAudit = async () => (await steward.database.db.select().from(auditEvents).orderBy(desc(auditEvents.id)).limit(1))[0];

  beforeAll(async () => {
    sim = await startSimulator({ users: 4, seed: 5 });
    addUser(sim.state, { localpart: "bob", password: "bob-pass", displayname: "Bob" }, sim.clock.now());
    addDevice(sim.state, BOB, { device_id: "PHONE", display_name: "Bob's phone", last_seen_ip: "10.0.0.7", last_seen_ts: sim.clock.now() - 3_600_000 });
    addDevice(sim.state, BOB, { device_id: "LAPTOP", display_name: "Bob's laptop" });
    steward = await startTestSteward({ homeserverUrl: sim.url });
    ({ browser, close: closeBrowser } = await launchBrowser());
    page = await openSignedInPage(browser, steward.url);
  }, 180_000); // starting Steward and Chromium on a machine shared with other test runs
  afterAll(async () => {
    await closeBrowser?.();
    await steward?.close();
    await sim?.close();
  });

  it("signs one session out from the device table, after a confirmation that names it", async () => {
    await page.goto(userPage(BOB));
    await page.getByRole("link", { name: "Sign out session PHONE…" }).click();
    await page.waitForURL(/\/act\?action=sign-out-device&device=PHONE/);
    expect(await page.getByTestId("consequence").textContent()).toContain(`The session PHONE of ${BOB} will end`);
    await page.screenshot({ path: artifactPath("user-action-confirm-signout.png"), fullPage: true });
    await page.getByRole("button", { name: "Yes: sign out this session" }).click();
    await page.waitForURL(userPage(BOB) + "?done=sign-out-device");
    expect(await page.getByTestId("action-done").textContent()).toBe("The session was signed out.");
    expect(sim.state.devices.get(BOB)!.has("PHONE")).toBe(false);
    expect(sim.state.devices.get(BOB)!.has("LAPTOP")).toBe(true);
    expect(await page.getByTestId("devices-table").textContent()).not.toContain("PHONE");
    expect(await lastAudit()).toMatchObject({ actor: "@admin:sim.test", action: "user.sign-out-device", target: BOB, outcome: "ok" });
    expect((await lastAudit()).detail).toMatchObject({ summary: `Sign out session PHONE of ${BOB}` });
  });

  it("locks and unlocks; the page shows the new state; a replayed form does nothing", async () => {
    await page.goto(userPage(BOB));
    await page.getByRole("link", { name: "Lock the account…", exact: true }).click();
    expect(await page.getByTestId("consequence").textContent()).toContain(`${BOB} keeps the account`);
    const formId = await page.locator("input[name=formId]").inputValue();
    await page.getByRole("button", { name: "Yes: lock the account" }).click();
    await page.waitForURL(userPage(BOB) + "?done=lock");
    expect(sim.state.users.get(BOB)!.locked).toBe(true);
    expect(await page.getByTestId("action-done").textContent()).toBe("The account is locked.");
    expect(await page.getByRole("link", { name: "Unlock the account…" }).count()).toBe(1);
    expect(await page.getByRole("link", { name: "Lock the account…", exact: true }).count()).toBe(0);
    await page.screenshot({ path: artifactPath("user-action-locked.png"), fullPage: true });

    // Unlock, then replay the lock form (same formId): refused, stays unlocked.
    await page.getByRole("link", { name: "Unlock the account…" }).click();
    await page.getByRole("button", { name: "Yes: unlock the account" }).click();
    await page.waitForURL(userPage(BOB) + "?done=unlock");
    expect(sim.state.users.get(BOB)!.locked).toBe(false);
    const csrf = await page.locator("input[name=csrf]").first().inputValue().catch(() => "");
    const replay = await page.evaluate(
      async ({ url, formId, csrf }) => {
        const r = await fetch(url, { method: "POST", body: new URLSearchParams({ action: "lock", formId, csrf }), headers: { Accept: "application/json" } });
        return { status: r.status, text: await r.text() };
      },
      { url: `${userPage(BOB)}/act?_data=routes%2F_app.users.%24userId_.act`, formId, csrf },
    );
    expect(replay.status).toBe(409);
    expect(replay.text).toContain("already submitted");
    expect(sim.state.users.get(BOB)!.locked).toBe(false);
  });

  it("refuses a forged CSRF token and changes nothing", async () => {
    const r = await page.evaluate(async (url) => {
      const res = await fetch(url, { method: "POST", body: new URLSearchParams({ action: "lock", formId: "A".repeat(22), csrf: "forged" }) });
      return res.status;
    }, `${userPage(BOB)}/act?_data=routes%2F_app.users.%24userId_.act`);
    expect(r).toBe(403);
    expect(sim.state.users.get(BOB)!.locked).toBe(false);
  });

  it("erasing needs the typed user id; deactivation then removes every session", async () => {
    await page.goto(`${userPage(BOB)}/act?action=deactivate`);
    await page.getByLabel("Erase the account").check();
    await page.getByLabel("To erase, type the user id").fill("@bob");
    await page.getByRole("button", { name: "Yes: deactivate the account" }).click();
    await expect.poll(() => page.getByRole("alert").first().textContent()).toContain("type the user id exactly");
    expect(sim.state.users.get(BOB)!.deactivated).toBe(false);
    await page.getByLabel("Erase the account").check();
    await page.getByLabel("To erase, type the user id").fill(BOB);
    await page.screenshot({ path: artifactPath("user-action-erase.png"), fullPage: true });
    await page.getByRole("button", { name: "Yes: deactivate the account" }).click();
    await page.waitForURL(userPage(BOB) + "?done=deactivate");
    expect(sim.state.users.get(BOB)).toMatchObject({ deactivated: true, erased: true, displayname: null });
    expect(sim.state.devices.get(BOB)!.size).toBe(0);
    await expect.poll(() => page.getByRole("link", { name: "Reactivate the account…" }).count()).toBe(1);
    expect(await lastAudit()).toMatchObject({ action: "user.deactivate", outcome: "ok", detail: expect.objectContaining({ erase: true }) });
  });

  it("offers no self-lock, self-deactivate or self-demotion, and refuses them when forced", async () => {
    await page.goto(userPage("@admin:sim.test"));
    const panel = page.getByTestId("user-actions");
    for (const name of ["Lock the account…", "Deactivate the account…", "Remove server admin…", "Sign out every session…"]) {
      expect(await panel.getByRole("link", { name, exact: true }).count()).toBe(0);
    }
    await page.goto(`${userPage("@admin:sim.test")}/act?action=lock`);
    expect(await page.getByTestId("refusal").textContent()).toBe("You cannot lock the account you are signed in with.");
    expect(await page.getByRole("button", { name: /Yes/ }).count()).toBe(0);
  });

  it("a remote user's page offers no action", async () => {
    // The page says the account is not this server's (issue 14, item 16), and has no actions panel at all.
    const res = await page.goto(userPage("@someone:elsewhere.test"));
    expect(res?.status()).toBe(404);
    expect(await page.getByTestId("not-a-user").textContent()).toContain("Not a user of this server");
    expect(await page.getByTestId("user-actions").count()).toBe(0);
    expect(await page.getByRole("link", { name: /…$/ }).count()).toBe(0);
  });

  it("shows the homeserver's error in words and records it", async () => {
    const carol = addUser(sim.state, { localpart: "carol", password: "c-pass" }, sim.clock.now());
    sim.injectFault({ kind: "status500", path: "/_synapse/admin/v2/users/%40carol", method: "PUT" });
    try {
      await page.goto(`${userPage(carol.name)}/act?action=make-admin`);
      await page.getByRole("button", { name: "Yes: make server admin" }).click();
      await expect.poll(() => page.getByTestId("action-error").textContent()).toContain("Nothing was changed: The homeserver at");
      expect(sim.state.users.get(carol.name)!.admin).toBe(false);
      expect(await lastAudit()).toMatchObject({ action: "user.make-admin", outcome: "error" });
    } finally {
      sim.clearFaults();
    }
  });
});

/**
 * Issue 16, item 5 (and the token page and editing of item 4) through the real server, against the MAS simulator
 * and the delegated Synapse simulator: under MAS an invite leads to MAS's registration page and gives the code to
 * paste (MAS v1.22 cannot take it from a link); Steward's /register explains and links there; a MAS token has its
 * own page (addressed by MAS's id), can be edited, revoked and restored, and shows the use once an invitee has
 * registered on MAS with it. Decision 025.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { auditEvents, registrationTokenRecords } from "../../db/schema";
import { TestClient } from "../helpers/http";
import { startSignedInMasWorld, type MasWorld } from "../helpers/mas";
import { hiddenFields, MiniBrowser } from "../helpers/mas-browser";
import { masRegistrationTokens } from "../../app/homeserver/mas/registration-tokens";

let w: MasWorld;
let c: TestClient;
beforeAll(async () => {
  ({ w, c } = await startSignedInMasWorld({ env: { PUBLIC_REGISTRATION: "true" } }));
}, 120_000);
afterAll(async () => {
  await w?.close();
});

const api = () => masRegistrationTokens({ baseUrl: w.mas.issuer, accessToken: w.mas.adminToken });
const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
const textarea = (html: string, testId: string) => unescape(new RegExp(`<textarea[^>]*data-testid="${testId}"[^>]*>([\\s\\S]*?)</textarea>`).exec(html)?.[1] ?? "");

/** Issues a token through Steward's form; returns its page address, MAS id and text. */
async function issue(fields: Record<string, string> = {}) {
  const csrf = await c.csrfToken("/tokens/new");
  const res = await c.postForm("/tokens/new", { csrf, issuedFor: "Dana", note: "", uses: "1", expires: "7d", token: "", length: "16", ...fields });
  expect(res.status).toBe(302);
  const page = res.headers.get("location")!;
  const id = /^\/tokens\/mas\/([0-9A-Z]{26})\?issued=1$/.exec(page)?.[1];
  expect(id, page).toBeTruthy();
  return { page, id: id!, text: (await api().get(id!)).token, csrf };
}

describe("invitations under MAS", { timeout: 120_000 }, () => {
  it("issuing leads to the token's page: MAS's registration page and the code to paste, never the token in a link", async () => {
    const t = await issue({ issuedFor: "Dana" });
    expect(t.page).not.toContain(t.text);
    const html = await (await c.get(t.page)).text();
    expect(html).toContain("Token issued.");
    const message = textarea(html, "invite-message");
    const registration = `${w.mas.url}/register`;
    expect(message).toContain("Hi Dana, here is your invitation to our Matrix chat server");
    expect(message).toContain(`1. Open this link: ${registration}\n2. Choose a username and a password.\n3. When you are asked for a registration token, paste this invitation code: ${t.text}`);
    expect(message).toContain("The invitation works for one account, until");
    expect(message).not.toMatch(/[?&]token=/);
    expect(message).not.toContain(`${w.steward.url}/register`);
    expect(html).toContain(`value="${registration}"`);
    expect(html).toMatch(new RegExp(`data-testid="issued-token"[^>]*value="${t.text}"|value="${t.text}"[^>]*data-testid="issued-token"`));
    expect(html).not.toContain(w.mas.adminToken);
    const [entry] = await w.steward.database.db.select().from(auditEvents).where(and(eq(auditEvents.action, "token.issue"), eq(auditEvents.target, t.text)));
    expect(entry.detail).toMatchObject({ service: "mas", masId: t.id });
  });

  it("the invitee follows the message on MAS (pasting the code); the token's page then shows the use", async () => {
    const t = await issue({ issuedFor: "Erin" });
    const html = await (await c.get(t.page)).text();
    const link = /1\. Open this link: (\S+)/.exec(textarea(html, "invite-message"))![1];
    const b = new MiniBrowser();
    const form = await b.follow(link, w.mas.url);
    expect(form.url).toMatch(/\/register\/password$/);
    const afterPassword = await b.post(`${w.mas.url}/register/password`, { ...hiddenFields(await form.res.text()), username: "erin", password: "correct horse battery", password_confirm: "correct horse battery" });
    const tokenStep = await b.follow(new URL(afterPassword.headers.get("location")!, w.mas.url).toString(), w.mas.url);
    expect(tokenStep.url).toMatch(/\/token$/);
    const pasted = await b.post(tokenStep.url, { ...hiddenFields(await tokenStep.res.text()), token: ` ${t.text} ` });
    const named = await b.follow(new URL(pasted.headers.get("location")!, w.mas.url).toString(), w.mas.url);
    const done = await b.post(named.url, { ...hiddenFields(await named.res.text()), action: "skip" });
    await b.follow(new URL(done.headers.get("location")!, w.mas.url).toString(), w.mas.url);
    expect(w.sim.state.users.has(`@erin:${w.sim.serverName}`)).toBe(true);

    const after = await (await c.get(t.page.replace("?issued=1", ""))).text();
    expect(after).toMatch(/data-testid="times-used">1</);
    expect(after).toContain("used up");
    expect(after).toContain("Every use is taken: 1 registration was completed with it.");
    expect(after).not.toMatch(/data-testid="last-used"><span class="muted">never/);
    expect(after).toContain('data-testid="no-invite"');
    expect(after).toContain("Erin");
  });

  it("says when MAS's own settings keep the invitation from working", async () => {
    const t = await issue();
    w.mas.state.siteConfig.password_registration_token_required = false;
    try {
      const html = await (await c.get(t.page)).text();
      expect(html).toContain('data-testid="registration-problem"');
      expect(html).toContain("does not ask for a registration token");
    } finally {
      w.mas.state.siteConfig.password_registration_token_required = true;
    }
  });
});

describe("/register under MAS", { timeout: 60_000 }, () => {
  it("explains the steps and links to MAS's registration page (no form of its own)", async () => {
    const anon = new TestClient(w.steward.url);
    const res = await anon.get("/register");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('data-testid="mas-register"');
    expect(html).toContain(`href="${w.mas.url}/register"`);
    expect(html).toContain("When you are asked for a registration token, paste");
    expect(html).not.toContain('name="password"');
  });

  it("shows the code of an old-style invite link to paste, and sends a stale form post back to the explanation", async () => {
    const anon = new TestClient(w.steward.url);
    const html = await (await anon.get("/register?token=old-link-code")).text();
    expect(html).toMatch(/data-testid="mas-code"[^>]*value="old-link-code"|value="old-link-code"[^>]*data-testid="mas-code"/);
    const users = w.sim.state.users.size;
    const post = await anon.postForm("/register?index&token=old-link-code", { csrf: "x", token: "old-link-code", username: "stale", password: "long-enough-1", confirm: "long-enough-1" });
    expect(post.status).toBe(302);
    expect(post.headers.get("location")).toBe("/register");
    expect(w.sim.state.users.size).toBe(users);
  });
});

describe("a MAS token's page: edit, revoke, restore", { timeout: 120_000 }, () => {
  it("edits the usage limit and expiry in MAS, audited as token.update; Steward's record follows", async () => {
    const t = await issue({ uses: "1" });
    const res = await c.postForm(`/tokens/mas/${t.id}`, { csrf: t.csrf, intent: "edit", uses: "3", expires: "30d" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`/tokens/mas/${t.id}?saved=1`);
    const live = await api().get(t.id);
    expect(live.usageLimit).toBe(3);
    expect(live.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    const [rec] = await w.steward.database.db.select().from(registrationTokenRecords).where(eq(registrationTokenRecords.token, t.text));
    expect(rec.usesAllowed).toBe(3);
    const audit = await w.steward.database.db.select().from(auditEvents).where(and(eq(auditEvents.action, "token.update"), eq(auditEvents.target, t.text)));
    expect(audit.map((a) => a.outcome)).toEqual(["ok"]);
    expect(audit[0].detail).toMatchObject({ service: "mas", masId: t.id, usageLimit: 3, before: { usageLimit: 1 } });
    expect(await (await c.get(`/tokens/mas/${t.id}?saved=1`)).text()).toContain("Changes saved.");

    // 0 is MAS's "never valid": allowed, shown as such, no Synapse hazard banner, no invite to send.
    expect((await c.postForm(`/tokens/mas/${t.id}`, { csrf: t.csrf, intent: "edit", uses: "0", expires: "keep" })).status).toBe(302);
    const zero = await (await c.get(`/tokens/mas/${t.id}`)).text();
    expect(zero).toContain("never valid (limit 0)");
    expect(zero).not.toContain("has 0 uses allowed");
    expect(zero).toContain('data-testid="no-invite"');
    expect((await api().get(t.id)).expiresAt!.getTime()).toBe(live.expiresAt!.getTime()); // "keep" kept it

    expect((await c.postForm(`/tokens/mas/${t.id}`, { csrf: t.csrf, intent: "edit", uses: "", expires: "never" })).status).toBe(302);
    expect(await api().get(t.id)).toMatchObject({ usageLimit: null, expiresAt: null, valid: true });
  });

  it("refuses invalid input next to the field, keeps what was typed, and changes nothing", async () => {
    const t = await issue({ uses: "2" });
    const before = await api().get(t.id);
    const bad = await c.postForm(`/tokens/mas/${t.id}`, { csrf: t.csrf, intent: "edit", uses: "two", expires: "custom", expiresAt: "" });
    expect(bad.status).toBe(400);
    const html = await bad.text();
    expect(html).toContain("Enter a whole number (0 or more), or leave it empty for no limit.");
    expect(html).toContain("Enter the date and time the token expires.");
    expect(html).toContain('value="two"');
    const past = await c.postForm(`/tokens/mas/${t.id}`, { csrf: t.csrf, intent: "edit", uses: "5", expires: "custom", expiresAt: "2020-01-01T10:00" });
    expect(past.status).toBe(400);
    expect(await past.text()).toContain("The expiry must be in the future.");
    const noCsrf = await c.postForm(`/tokens/mas/${t.id}`, { intent: "edit", uses: "9", expires: "never" });
    expect(noCsrf.status).toBe(403);
    expect(await api().get(t.id)).toEqual(before);
  });

  it.each([
    ["status500", "internal error"],
    ["status429", "limiting requests"],
    ["html404", "does not know it"],
  ] as const)("shows MAS's %s on an edit in words, keeps the form, changes nothing", async (kind, words) => {
    const t = await issue({ uses: "2" });
    const before = await api().get(t.id);
    w.mas.injectFault({ kind, path: `/api/admin/v1/user-registration-tokens/${t.id}`, method: "PUT", times: 1 });
    const res = await c.postForm(`/tokens/mas/${t.id}`, { csrf: t.csrf, intent: "edit", uses: "7", expires: "never" });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain("The token was not changed.");
    expect(html).toContain(words);
    expect(html).toContain('value="7"');
    expect(html).not.toContain("{&quot;errors");
    expect(await api().get(t.id)).toEqual(before);
    const audit = await w.steward.database.db.select().from(auditEvents).where(and(eq(auditEvents.action, "token.update"), eq(auditEvents.target, t.id)));
    expect(audit.map((a) => a.outcome)).toEqual(["error"]);
  });

  it("revokes and restores on the page (MAS's revoke can be undone); a second restore is refused in words", async () => {
    const t = await issue();
    const revoked = await c.postForm(`/tokens/mas/${t.id}`, { csrf: t.csrf, intent: "revoke" });
    expect(revoked.headers.get("location")).toBe(`/tokens/mas/${t.id}?revoked=1`);
    expect((await api().get(t.id)).revokedAt).toBeInstanceOf(Date);
    const page = await (await c.get(revoked.headers.get("location")!)).text();
    expect(page).toContain("Restore this token");
    expect(page).toContain('data-testid="no-invite"');
    expect((await c.postForm(`/tokens/mas/${t.id}`, { csrf: t.csrf, intent: "unrevoke" })).status).toBe(302);
    expect((await api().get(t.id)).revokedAt).toBeNull();
    const again = await c.postForm(`/tokens/mas/${t.id}`, { csrf: t.csrf, intent: "unrevoke" });
    expect(again.status).toBe(400);
    expect(await again.text()).toContain("is not revoked");
  });

  it("answers 404 for an id MAS does not know, and the list links each token to its page", async () => {
    expect((await c.get("/tokens/mas/01JDQ8Z3K4M5N6P7Q8R9S0T1VW")).status).toBe(404);
    expect((await c.get("/tokens/mas/not-a-ulid")).status).toBe(404);
    const t = await issue();
    expect(await (await c.get("/tokens")).text()).toContain(`href="/tokens/mas/${t.id}"`);
  });

  it("says so when MAS refuses Steward's token (401) on the page and on an edit", async () => {
    const t = await issue();
    for (const tok of w.mas.state.accessTokens.values()) if (tok.session.kind === "oauth2") tok.revoked_at = w.sim.clock.now();
    const page = await c.get(`/tokens/mas/${t.id}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("did not accept Steward&#x27;s admin token");
    const edit = await c.postForm(`/tokens/mas/${t.id}`, { csrf: t.csrf, intent: "edit", uses: "4", expires: "keep" });
    expect(edit.status).toBe(400);
    expect(await edit.text()).toContain("did not accept Steward&#x27;s admin token");
    expect((await api().get(t.id)).usageLimit).toBe(1);
  });
});

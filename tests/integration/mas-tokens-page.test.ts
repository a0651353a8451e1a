/**
 * Issue 16, item 4 through the real server: on a homeserver delegating to MAS, /tokens lists MAS's tokens (joined
 * with Steward's records), says what differs from Synapse's, and revokes / restores them; MAS failures are shown
 * in words and nothing is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { auditEvents, registrationTokenRecords } from "../../db/schema";
import { TestClient } from "../helpers/http";
import { startSignedInMasWorld, type MasWorld } from "../helpers/mas";
import { hiddenFields, MiniBrowser } from "../helpers/mas-browser";
import { masRegistrationTokens } from "../../app/homeserver/mas/registration-tokens";

let w: MasWorld;
let c: TestClient;
beforeAll(async () => {
  ({ w, c } = await startSignedInMasWorld());
}, 120_000);
afterAll(async () => {
  await w?.close();
});

const api = () => masRegistrationTokens({ baseUrl: w.mas.issuer, accessToken: w.mas.adminToken });

describe("tokens page under MAS", { timeout: 120_000 }, () => {
  it("lists MAS's tokens with Steward's records and explains the differences", async () => {
    const t = await api().create({ token: "for-alice", usageLimit: 1 });
    await api().create({ token: "zero-limit", usageLimit: 0 });
    await w.steward.database.db.insert(registrationTokenRecords).values({ token: "for-alice", origin: "steward", issuedBy: "@admin:sim.test", issuedFor: "Alice", note: "book club", createdAt: new Date() });
    const res = await c.get("/tokens");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('data-testid="mas-token-notice"');
    expect(html).toContain("0 uses means the token never works");
    expect(html).toContain("for-alice");
    expect(html).toContain("Alice");
    expect(html).toContain("book club");
    expect(html).toContain("never valid (limit 0)");
    // No Synapse hazard banner for a 0 limit: under MAS it is simply never valid.
    expect(html).not.toContain("has 0 uses allowed");
    expect(html).not.toContain(w.mas.adminToken);
    expect(t.id).toMatch(/^[0-9A-Z]{26}$/);
  });

  it("issues a token in MAS with Steward's record; a duplicate text and MAS failing are refused in words, nothing half-made", async () => {
    const csrf = await c.csrfToken("/tokens/new");
    const form = { csrf, issuedFor: "Bob", note: "neighbour", uses: "2", expires: "7d", token: "", length: "16" };
    const res = await c.postForm("/tokens/new", form);
    expect(res.status).toBe(302);
    // The token's own page (addressed by MAS's id, decision 025) confirms it and shows the invite.
    const loc = res.headers.get("location")!;
    const id = /^\/tokens\/mas\/([0-9A-Z]{26})\?issued=1$/.exec(loc)![1];
    const live = await api().get(id);
    const text = live.token;
    expect(text).toHaveLength(16);
    expect(live).toMatchObject({ usageLimit: 2, timesUsed: 0, valid: true });
    expect(live.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    const page = await (await c.get(loc)).text();
    expect(page).toContain("Token issued.");
    expect(page).toContain(text);
    expect(page).toContain("Bob");
    const dup = await c.postForm("/tokens/new", { ...form, token: text });
    expect(dup.status).toBe(400);
    expect(await dup.text()).toContain("already has a token with this text");
    w.mas.injectFault({ kind: "status500", path: "/api/admin/v1/user-registration-tokens", method: "POST", times: 1 });
    const failed = await c.postForm("/tokens/new", { ...form, token: "lost-on-500" });
    expect(failed.status).toBe(400);
    expect(await failed.text()).toContain("The token was not issued.");
    const rec = await w.steward.database.db.select().from(registrationTokenRecords).where(eq(registrationTokenRecords.token, "lost-on-500"));
    expect(rec).toHaveLength(0);
    expect((await api().listAll()).some((t) => t.token === "lost-on-500")).toBe(false);
  });

  it("counts a use once an invitee finishes registering on MAS with the token (typed in, not from a link)", async () => {
    const csrf = await c.csrfToken("/tokens/new");
    const res = await c.postForm("/tokens/new", { csrf, issuedFor: "Carol", note: "", uses: "1", expires: "7d", token: "carol-invite", length: "16" });
    expect(res.status).toBe(302);
    const b = new MiniBrowser();
    const form = await b.follow(`${w.mas.url}/register`, w.mas.url);
    const afterPassword = await b.post(`${w.mas.url}/register/password`, { ...hiddenFields(await form.res.text()), username: "carol", password: "correct horse battery", password_confirm: "correct horse battery" });
    const tokenStep = await b.follow(new URL(afterPassword.headers.get("location")!, w.mas.url).toString(), w.mas.url);
    expect(tokenStep.url).toMatch(/\/token$/);
    // Typed in, but not yet counted: MAS counts a use when the registration completes.
    const typed = await b.post(tokenStep.url, { ...hiddenFields(await tokenStep.res.text()), token: "carol-invite" });
    expect((await api().listAll()).find((t) => t.token === "carol-invite")!.timesUsed).toBe(0);
    const next = await b.follow(new URL(typed.headers.get("location")!, w.mas.url).toString(), w.mas.url);
    expect(next.url).toMatch(/\/display-name$/);
    const named = await b.post(next.url, { ...hiddenFields(await next.res.text()), action: "skip" });
    // The finish step completes the registration (and only then counts the use).
    await b.follow(new URL(named.headers.get("location")!, w.mas.url).toString(), w.mas.url);
    const live = (await api().listAll()).find((t) => t.token === "carol-invite")!;
    expect(live).toMatchObject({ timesUsed: 1, valid: false });
    const page = await (await c.get("/tokens")).text();
    const row = page.slice(page.indexOf('data-token="carol-invite"'));
    expect(row.slice(0, row.indexOf("</tr>"))).toMatch(/used up[\s\S]*data-testid="times-used">1</);
  });

  it("revokes and restores a token, audited; refuses without the CSRF token", async () => {
    const t = await api().create({ token: "to-revoke" });
    const noCsrf = await c.postForm("/tokens", { intent: "revoke", id: t.id });
    expect(noCsrf.status).toBe(403);
    expect((await api().get(t.id)).revokedAt).toBeNull();
    const csrf = await c.csrfToken("/tokens");
    const revoked = await c.postForm("/tokens", { csrf, intent: "revoke", id: t.id });
    expect(revoked.status).toBe(302);
    expect((await api().get(t.id)).revokedAt).toBeInstanceOf(Date);
    const page = await (await c.get(revoked.headers.get("location")!)).text();
    expect(page).toContain("Revoked to-revoke.");
    expect(page).toContain("Restore to-revoke");
    const restored = await c.postForm("/tokens", { csrf, intent: "unrevoke", id: t.id });
    expect(restored.status).toBe(302);
    expect((await api().get(t.id)).revokedAt).toBeNull();
    // Restoring twice: MAS refuses, and the page says why.
    const again = await c.postForm("/tokens", { csrf, intent: "unrevoke", id: t.id });
    expect(again.status).toBe(400);
    expect(await again.text()).toContain("is not revoked");
    const audit = await w.steward.database.db.select().from(auditEvents).where(eq(auditEvents.target, "to-revoke"));
    expect(audit.map((a) => `${a.action}:${a.outcome}`).sort()).toEqual(["token.revoke:ok", "token.unrevoke:ok"]);
  });

  it.each([
    ["status500", "internal error"],
    ["status429", "limiting requests"],
  ] as const)("shows MAS's %s in words on the list and on a revoke, changing nothing", async (kind, words) => {
    const t = await api().create({ token: `keep-${kind}` });
    w.mas.injectFault({ kind, path: "/api/admin/v1/user-registration-tokens", times: 1 });
    const list = await c.get("/tokens");
    expect(list.status).toBe(200);
    expect(await list.text()).toContain(words);
    const csrf = await c.csrfToken("/tokens");
    w.mas.injectFault({ kind, path: `/api/admin/v1/user-registration-tokens/${t.id}/revoke`, times: 1 });
    const r = await c.postForm("/tokens", { csrf, intent: "revoke", id: t.id });
    expect(r.status).toBe(400);
    expect(await r.text()).toContain(words);
    expect((await api().get(t.id)).revokedAt).toBeNull();
  });

  it("says so when MAS refuses Steward's token (401)", async () => {
    // The session's token revoked at MAS: MAS's admin API answers 401 at once, while Synapse still trusts its cached
    // introspection for a while — the page must say what happened rather than show an empty list.
    for (const tok of w.mas.state.accessTokens.values()) if (tok.session.kind === "oauth2") tok.revoked_at = w.sim.clock.now();
    const res = await c.get("/tokens");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("did not accept Steward&#x27;s admin token");
  });
});

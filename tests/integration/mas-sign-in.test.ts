/**
 * Issue 16, item 2: admin sign-in through MAS against the real server and the simulators in delegated mode —
 * dynamic registration kept in the database (and redone when MAS forgets it), code + PKCE, refresh before expiry,
 * revoke on sign-out — and every failure of the OAuth flow: forged state, replayed callback, another browser, a
 * wrong redirect_uri, a revoked or expired refresh token, MAS down / 401 / 403 / 429 / 500. Nothing is lost, each
 * gets a sentence, and no token reaches a page or a log.
 */
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { adminSessions, auditEvents, masAuthRequests, masClients, masSessionGrants } from "../../db/schema";
import { TestClient } from "../helpers/http";
import { masSignIn, startMasWorld, type MasWorld } from "../helpers/mas";

let w: MasWorld | null = null;
afterEach(async () => {
  await w?.close();
  w = null;
});

const db = () => w!.steward.database.db;
const html = async (r: Response) => r.text();

async function signedIn(version = "1.157.1") {
  w = await startMasWorld({ synapseVersion: version });
  const c = new TestClient(w.steward.url);
  const trip = await masSignIn(c, w, "admin", "admin");
  expect(trip.res.status).toBe(302);
  expect(trip.res.headers.get("location")).toBe("/");
  return { c, trip };
}

describe("MAS sign-in", { timeout: 120_000 }, () => {
  it.each(["1.132.0", "1.157.1"])("signs an admin in on Synapse %s, registering Steward once and keeping the grant encrypted", async (version) => {
    const { c } = await signedIn(version);
    const page = await c.get("/");
    expect(page.status).toBe(200);
    const body = await html(page);
    expect(body).toContain("@admin:sim.test");
    const [client] = await db().select().from(masClients);
    expect(w!.mas.state.clients.has(client.clientId)).toBe(true);
    expect(client.redirectUri).toBe(`${w!.steward.url.replace("localhost", "127.0.0.1")}/auth/callback`);
    const [session] = await db().select().from(adminSessions);
    const [grant] = await db().select().from(masSessionGrants);
    const tokens = [...w!.mas.state.accessTokens.keys()].filter((t) => t.startsWith("mat_"));
    const refresh = [...w!.mas.state.refreshTokens.keys()];
    for (const secret of [...tokens, ...refresh]) {
      expect(session.accessTokenEnc).not.toContain(secret);
      expect(grant.refreshTokenEnc).not.toContain(secret);
      expect(body).not.toContain(secret);
      expect(w!.steward.logs.join("\n")).not.toContain(secret);
    }
    // A second sign-in reuses the registration.
    const again = await masSignIn(new TestClient(w!.steward.url), w!, "admin", "admin");
    expect(again.res.status).toBe(302);
    expect(w!.mas.state.clients.size).toBe(1);
    const audit = await db().select().from(auditEvents).where(eq(auditEvents.action, "auth.sign_in"));
    expect(audit.filter((a) => a.outcome === "ok").map((a) => a.detail)).toEqual([{ method: "mas" }, { method: "mas" }]);
  });

  it("a non-admin is refused by MAS with the reason, and Steward says who may sign in", async () => {
    w = await startMasWorld();
    const c = new TestClient(w.steward.url);
    const login = await html(await c.get("/login"));
    expect(login).toContain("Only accounts that the authentication service lets request admin rights");
    const user = [...w.sim.state.users.values()].find((u) => !u.admin && u.password && !u.locked && !u.deactivated)!;
    const trip = await masSignIn(c, w, user.localpart, user.password!);
    expect(trip.callbackUrl).toBeNull();
    expect(trip.masPage).toContain("denied by the policy");
    expect(await db().select().from(adminSessions)).toHaveLength(0);
  });

  it("refuses a forged state, a replayed callback and a callback from another browser, and records each refusal", async () => {
    const { c, trip } = await signedIn();
    const forged = await c.get("/auth/callback?state=forged&code=whatever");
    expect(forged.status).toBe(400);
    expect(await html(forged)).toContain("This sign-in has already been used or was not started here");
    const u = new URL(trip.callbackUrl!);
    const replay = await new TestClient(w!.steward.url).get(`${u.pathname}${u.search}`);
    expect(replay.status).toBe(400);
    // Another browser: the callback arrives without the cookie of the browser that started it.
    const a = new TestClient(w!.steward.url);
    const t2 = await masSignIn(a, w!, "admin", "admin", { stopBeforeCallback: true });
    const u2 = new URL(t2.callbackUrl!);
    const other = await new TestClient(w!.steward.url).get(`${u2.pathname}${u2.search}`);
    expect(other.status).toBe(400);
    expect(await html(other)).toContain("started in another browser");
    const refused = await db().select().from(auditEvents).where(eq(auditEvents.outcome, "refused"));
    expect(refused.map((r) => (r.detail as { reason: string }).reason).sort()).toEqual(["other_browser", "unknown_state", "unknown_state"]);
    expect(await db().select().from(adminSessions)).toHaveLength(1);
  });

  it("a wrong redirect_uri at the exchange is refused by MAS and reported", async () => {
    w = await startMasWorld();
    const c = new TestClient(w.steward.url);
    const t = await masSignIn(c, w, "admin", "admin", { stopBeforeCallback: true });
    await db().update(masAuthRequests).set({ redirectUri: "http://127.0.0.1:1/elsewhere" });
    const u = new URL(t.callbackUrl!);
    const r = await c.get(`${u.pathname}${u.search}`);
    expect(r.status).toBe(400);
    expect(await html(r)).toContain("did not accept the sign-in code");
    expect(await db().select().from(adminSessions)).toHaveLength(0);
  });

  it("a cancelled consent comes back as a plain sentence", async () => {
    w = await startMasWorld();
    const c = new TestClient(w.steward.url);
    const start = await c.postForm("/auth/mas", { next: "/" });
    const state = new URL(start.headers.get("location")!).searchParams.get("state")!;
    const r = await c.get(`/auth/callback?error=access_denied&state=${encodeURIComponent(state)}`);
    expect(await html(r)).toContain("The sign-in was cancelled at the authentication service.");
  });
});

describe("MAS session lifetime", { timeout: 120_000 }, () => {
  const expireSoon = (ms: number) => db().update(masSessionGrants).set({ accessExpiresAt: new Date(Date.now() + ms) });

  it("refreshes the access token before it expires; the old one dies at MAS", async () => {
    const { c } = await signedIn();
    const [before] = await db().select().from(adminSessions);
    await expireSoon(30_000);
    expect((await c.get("/")).status).toBe(200);
    const [after] = await db().select().from(adminSessions);
    expect(after.accessTokenEnc).not.toBe(before.accessTokenEnc);
    const [grant] = await db().select().from(masSessionGrants);
    expect(grant.accessExpiresAt.getTime()).toBeGreaterThan(Date.now() + 250_000);
    expect([...w!.mas.state.accessTokens.values()].filter((t) => t.token.startsWith("mat_") && t.revoked_at !== null)).toHaveLength(1);
  });

  it("ends the session with a reason when the refresh token was revoked at MAS", async () => {
    const { c } = await signedIn();
    for (const s of w!.mas.state.oauth2Sessions.values()) s.finished_at = Date.now();
    await expireSoon(30_000);
    const r = await c.get("/");
    expect(r.status).toBe(302);
    expect(r.headers.get("location")).toContain("reason=mas_expired");
    expect(await html(await c.get("/login?reason=mas_expired"))).toContain("The authentication service ended your session");
  });

  it("MAS down: keeps the session while the token lasts, ends it with a reason once it expired", async () => {
    const { c } = await signedIn();
    w!.mas.injectFault({ kind: "status500", path: "/oauth2/token" });
    await expireSoon(30_000);
    expect((await c.get("/")).status).toBe(200);
    await expireSoon(-1_000);
    const r = await c.get("/");
    expect(r.headers.get("location")).toContain("reason=mas_down");
  });

  it("sign-out revokes the grant at MAS", async () => {
    const { c } = await signedIn();
    const csrf = await c.csrfToken("/");
    const out = await c.postForm("/logout", { csrf });
    expect(out.headers.get("location")).toBe("/login?reason=signed_out");
    expect([...w!.mas.state.oauth2Sessions.values()].every((s) => s.finished_at !== null)).toBe(true);
    expect(await db().select().from(masSessionGrants)).toHaveLength(0);
  });
});

describe("MAS failures when signing in", { timeout: 120_000 }, () => {
  it("429 and 500 from MAS are sentences; nothing is stored", async () => {
    w = await startMasWorld();
    const c = new TestClient(w.steward.url);
    w.mas.injectFault({ kind: "status429", path: "/oauth2/registration", times: 1 });
    const limited = await c.postForm("/auth/mas", { next: "/" });
    expect(limited.status).toBe(502);
    expect(await html(limited)).toContain("The authentication service is limiting requests");
    w.mas.injectFault({ kind: "status500", path: "/oauth2/token", times: 1 });
    const t = await masSignIn(c, w, "admin", "admin");
    expect(t.res.status).toBe(400);
    expect(await html(t.res)).toContain("The authentication service had an internal error (HTTP 500");
    expect(await db().select().from(adminSessions)).toHaveLength(0);
  });

  it("MAS unreachable at the start is a sentence", async () => {
    w = await startMasWorld();
    const c = new TestClient(w.steward.url);
    w.mas.injectFault({ kind: "drop", path: "/oauth2/registration" });
    const r = await c.postForm("/auth/mas", { next: "/" });
    expect(r.status).toBe(502);
    expect(await html(r)).toContain("could not be reached");
  });

  it("a MAS that forgot Steward's client (401) leads to a new registration on the next attempt", async () => {
    const { c } = await signedIn();
    const [old] = await db().select().from(masClients);
    const c2 = new TestClient(w!.steward.url);
    const t = await masSignIn(c2, w!, "admin", "admin", { stopBeforeCallback: true });
    w!.mas.state.clients.delete(old.clientId);
    const u = new URL(t.callbackUrl!);
    const r = await c2.get(`${u.pathname}${u.search}`);
    expect(await html(r)).toContain("no longer knows Steward's registration");
    expect(await db().select().from(masClients)).toHaveLength(0);
    const again = await masSignIn(c2, w!, "admin", "admin");
    expect(again.res.status).toBe(302);
    const [fresh] = await db().select().from(masClients);
    expect(fresh.clientId).not.toBe(old.clientId);
    void c;
  });

  it("MAS's registration policy refusing an http Steward (403-style refusal) explains how to fix it", async () => {
    w = await startMasWorld({ insecureUris: false });
    const r = await new TestClient(w.steward.url).postForm("/auth/mas", { next: "/" });
    expect(r.status).toBe(502);
    const body = await html(r);
    expect(body).toContain("refused to register Steward");
    expect(body).toContain("Running with MAS");
  });
});

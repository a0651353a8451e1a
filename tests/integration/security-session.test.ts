/**
 * The session cookie and the security headers through the real server: httpOnly + SameSite=Lax always, Secure
 * only behind https when the proxy is trusted, a new session id at every sign-in (a planted or previous cookie is
 * not reused), idle and absolute expiry (driven by editing the session row, not by sleeping), and the CSP / framing /
 * referrer / nosniff headers on every document.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { adminSessions } from "../../db/schema";
import { sha256 } from "../../app/services/auth/crypto.server";
import { TestClient } from "../helpers/http";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { startSimulator, type Simulator } from "../simulator/index";
import { purgeExpiredSessions } from "../../app/services/auth/session-end.server";
import { sessionEndDeps } from "../../app/services/auth/guard.server";

const IDLE_MINUTES = 30;
const MAX_HOURS = 8;

let sim: Simulator;
let steward: TestSteward;

beforeAll(async () => {
  sim = await startSimulator({ users: 6, seed: 3 });
  steward = await startTestSteward({
    homeserverUrl: sim.url,
    env: { SESSION_IDLE_MINUTES: String(IDLE_MINUTES), SESSION_MAX_HOURS: String(MAX_HOURS), TRUST_PROXY: "false" },
  });
});
afterAll(async () => {
  await steward?.close();
  await sim?.close();
});

const sessionSetCookie = (res: Response) => res.headers.getSetCookie().find((h) => h.startsWith("steward_session="));

async function signedIn(base = steward.url, headers?: Record<string, string>) {
  const c = new TestClient(base);
  const res = await c.postForm("/login", { homeserver: sim.url, mode: "password", username: "admin", password: "admin" }, headers);
  expect(res.status).toBe(302);
  return { c, res, cookie: c.cookies.get("steward_session")! };
}

const rowFor = async (cookie: string) => (await steward.database.db.select().from(adminSessions).where(eq(adminSessions.idHash, sha256(cookie))))[0];

describe("session cookie", () => {
  it("is httpOnly, SameSite=Lax, lives as long as SESSION_MAX_HOURS, and is not Secure over plain http", async () => {
    const { res } = await signedIn();
    const cookie = sessionSetCookie(res)!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toContain(`Max-Age=${MAX_HOURS * 3600}`);
    expect(cookie).not.toMatch(/Secure/);
  });

  it("does not trust X-Forwarded-Proto unless TRUST_PROXY is on", async () => {
    const { res } = await signedIn(steward.url, { "X-Forwarded-Proto": "https" });
    expect(sessionSetCookie(res)).not.toMatch(/Secure/);
  });

  it("is Secure behind an https proxy when TRUST_PROXY=true", async () => {
    const proxied = await startTestSteward({ homeserverUrl: sim.url, env: { TRUST_PROXY: "loopback" } });
    try {
      const https = { "X-Forwarded-Proto": "https" };
      const { c, res } = await signedIn(proxied.url, https);
      const cookie = sessionSetCookie(res)!;
      expect(cookie).toMatch(/; Secure/);
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; SameSite=Lax/);
      // The sign-out's clearing cookie is Secure too (otherwise the browser would refuse to overwrite it).
      const csrf = await c.csrfToken("/");
      const out = await c.postForm("/logout", { csrf }, https);
      expect(out.status).toBe(302);
      expect(sessionSetCookie(out)).toMatch(/Max-Age=0.*Secure|Secure.*Max-Age=0/);
      // Plain http through the same trusted proxy: no Secure flag.
      expect(sessionSetCookie((await signedIn(proxied.url, { "X-Forwarded-Proto": "http" })).res)).not.toMatch(/Secure/);
    } finally {
      await proxied.close();
    }
  });

  it("rotates on every sign-in: a new id each time, the previous and a planted cookie are not reused", async () => {
    const first = await signedIn();
    const second = await signedIn();
    expect(second.cookie).not.toBe(first.cookie);
    // Signing in again from a browser that still holds a session ends that session (no fixation, no leftovers).
    const again = await first.c.postForm("/login", { homeserver: sim.url, mode: "password", username: "admin", password: "admin" });
    expect(again.status).toBe(302);
    const rotated = first.c.cookies.get("steward_session")!;
    expect(rotated).not.toBe(first.cookie);
    expect(await rowFor(first.cookie)).toBeUndefined();
    const stale = new TestClient(steward.url);
    stale.cookies.set("steward_session", first.cookie);
    expect((await stale.get("/audit")).status).toBe(302);
    // A cookie planted before sign-in (session fixation) is replaced, never adopted.
    const victim = new TestClient(steward.url);
    victim.cookies.set("steward_session", "planted-by-an-attacker-0123456789");
    const res = await victim.postForm("/login", { homeserver: sim.url, mode: "password", username: "admin", password: "admin" });
    expect(res.status).toBe(302);
    expect(victim.cookies.get("steward_session")).not.toBe("planted-by-an-attacker-0123456789");
    expect(await rowFor("planted-by-an-attacker-0123456789")).toBeUndefined();
    expect((await victim.get("/audit")).status).toBe(200);
  });

  it("slides the idle deadline while in use, and ends a session idle for longer than SESSION_IDLE_MINUTES", async () => {
    const { c, cookie } = await signedIn();
    const db = steward.database.db;
    // Almost idle: still accepted, and the visit pushes lastSeenAt forward.
    const almost = new Date(Date.now() - (IDLE_MINUTES - 1) * 60_000);
    await db.update(adminSessions).set({ lastSeenAt: almost }).where(eq(adminSessions.idHash, sha256(cookie)));
    expect((await c.get("/audit")).status).toBe(200);
    expect((await rowFor(cookie)).lastSeenAt.getTime()).toBeGreaterThan(almost.getTime() + 60_000);
    // Idle past the limit: sent to sign in; the purge then logs its token out (decision 021) and the row is gone.
    await db.update(adminSessions).set({ lastSeenAt: new Date(Date.now() - (IDLE_MINUTES + 1) * 60_000) }).where(eq(adminSessions.idHash, sha256(cookie)));
    const res = await c.get("/audit");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toMatch(/^\/login/);
    await purgeExpiredSessions(sessionEndDeps(steward.context));
    expect(await rowFor(cookie)).toBeUndefined();
  });

  it("ends a session at its absolute expiry even while it is in use", async () => {
    const { c, cookie } = await signedIn();
    const row = await rowFor(cookie);
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBe(MAX_HOURS * 3600_000);
    await steward.database.db.update(adminSessions).set({ expiresAt: new Date(Date.now() - 1000), lastSeenAt: new Date() }).where(eq(adminSessions.idHash, sha256(cookie)));
    const res = await c.get("/", { Accept: "application/json" });
    expect(res.status).toBe(401);
    await purgeExpiredSessions(sessionEndDeps(steward.context));
    expect(await rowFor(cookie)).toBeUndefined();
  });
});

describe("Origin check behind a proxy that rewrites Host", () => {
  // The proxy sends Host = Steward's internal address (what this test connects to) and the public one in
  // X-Forwarded-Host. An invalid issue form answers 400 with field errors only after the CSRF and Origin checks pass.
  const invalidIssue = { issuedFor: "", note: "", uses: "0", expires: "7d", token: "", length: "" };
  const publicSite = { "X-Forwarded-Host": "join.example.org", "X-Forwarded-Proto": "https", Origin: "https://join.example.org" };

  it("with TRUST_PROXY=true, accepts an Origin matching X-Forwarded-Host + X-Forwarded-Proto and refuses any other", async () => {
    const proxied = await startTestSteward({ homeserverUrl: sim.url, env: { TRUST_PROXY: "loopback" } });
    try {
      const { c } = await signedIn(proxied.url, { "X-Forwarded-Proto": "https" });
      const csrf = await c.csrfToken("/tokens/new");
      const post = (headers: Record<string, string>) => c.postForm("/tokens/new", { csrf, ...invalidIssue }, headers);
      const ok = await post(publicSite);
      expect(ok.status).toBe(400);
      expect(await ok.text()).toContain("0 is not allowed");
      // First value of a list: the client-facing proxy's.
      expect((await post({ ...publicSite, "X-Forwarded-Host": "join.example.org, steward-lb.internal" })).status).toBe(400);
      for (const bad of [
        { ...publicSite, Origin: "https://evil.example" },
        { ...publicSite, Origin: "http://join.example.org" }, // the proxy says https
        { ...publicSite, "X-Forwarded-Host": "evil.example" },
        { ...publicSite, Origin: proxied.url }, // the internal address, once a forwarded host is given
      ]) {
        const res = await post(bad);
        expect(res.status, JSON.stringify(bad)).toBe(403);
      }
      expect(sim.state.registrationTokens.size).toBeGreaterThan(0);
    } finally {
      await proxied.close();
    }
  });

  it("with TRUST_PROXY=false, ignores X-Forwarded-Host: a forged one opens nothing", async () => {
    // Its own server: the shared one's sign-ins are already at the per-address /login limit.
    const direct = await startTestSteward({ homeserverUrl: sim.url, env: { TRUST_PROXY: "false" } });
    try {
      const { c } = await signedIn(direct.url);
      const csrf = await c.csrfToken("/tokens/new");
      const before = [...sim.state.registrationTokens.keys()].sort();
      const forged = await c.postForm("/tokens/new", { csrf, ...invalidIssue, uses: "1" }, { ...publicSite, Origin: "https://evil.example", "X-Forwarded-Host": "evil.example" });
      expect(forged.status).toBe(403);
      // Not even the real public name: without TRUST_PROXY the forwarded host is not believed.
      expect((await c.postForm("/tokens/new", { csrf, ...invalidIssue }, publicSite)).status).toBe(403);
      expect([...sim.state.registrationTokens.keys()].sort()).toEqual(before);
      // Control: Steward's own origin passes the check (and reaches the form validation).
      expect((await c.postForm("/tokens/new", { csrf, ...invalidIssue }, { Origin: direct.url })).status).toBe(400);
    } finally {
      await direct.close();
    }
  });
});

describe("security headers", () => {
  function checkDocument(res: Response, html: string, what: string) {
    const csp = res.headers.get("content-security-policy") ?? "";
    const directives = new Map(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
    const scriptSrc = directives.get("script-src") ?? directives.get("default-src") ?? [];
    expect(scriptSrc, `${what}: script-src`).not.toContain("'unsafe-inline'");
    expect(scriptSrc, `${what}: script-src`).not.toContain("'unsafe-eval'");
    const nonce = scriptSrc.find((s) => s.startsWith("'nonce-"))?.slice(7, -1);
    expect(nonce, `${what}: a nonce in script-src`).toBeTruthy();
    expect(nonce!.length).toBeGreaterThanOrEqual(16);
    expect(directives.get("frame-ancestors"), what).toEqual(["'none'"]);
    expect(directives.get("object-src"), what).toEqual(["'none'"]);
    expect(res.headers.get("referrer-policy"), what).toMatch(/^(no-referrer|same-origin|strict-origin|strict-origin-when-cross-origin)$/);
    expect(res.headers.get("x-content-type-options"), what).toBe("nosniff");
    // Every script the page carries is allowed by that nonce (no inline script the CSP would have to allow otherwise).
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length, `${what}: scripts`).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag, what).toContain(`nonce="${nonce}"`);
    return nonce!;
  }

  it("are on the sign-in page, signed-in pages, the 404 page and the invite page, with a fresh nonce each time", async () => {
    const anon = new TestClient(steward.url);
    const a = await anon.get("/login");
    const n1 = checkDocument(a, await a.text(), "/login");
    const b = await anon.get("/login");
    expect(checkDocument(b, await b.text(), "/login again")).not.toBe(n1);
    const missing = await anon.get("/no-such-page");
    expect(missing.status).toBe(404);
    const missingHtml = await missing.text();
    checkDocument(missing, missingHtml, "404");
    // What the page says (Remix's own message for developers stays only in the hydration data).
    expect(missingHtml).toContain("<p>Steward has no page at /no-such-page.</p>");
    expect(missingHtml).not.toContain("<p>Error: No route matches");
    const invite = await anon.get("/register?token=nosuchtoken");
    checkDocument(invite, await invite.text(), "/register");
    const { c } = await signedIn();
    for (const p of ["/", "/tokens", "/users", "/federation", "/security", "/audit"]) {
      const res = await c.get(p);
      expect(res.status, p).toBe(200);
      checkDocument(res, await res.text(), p);
    }
  });

  it("are on an error page while the homeserver is failing", async () => {
    const { c } = await signedIn();
    sim.injectFault({ kind: "status500", path: "/_synapse/admin" });
    try {
      const res = await c.get(`/users/${encodeURIComponent(`@admin:${sim.serverName}`)}`);
      checkDocument(res, await res.text(), "user page with the homeserver failing");
    } finally {
      sim.clearFaults();
    }
  });
});

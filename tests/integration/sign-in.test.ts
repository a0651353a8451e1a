/**
 * Admin sign-in and sign-out through the real server, against the simulator: who gets in, the messages for each
 * failure, the session cookie, the encrypted token at rest, CSRF on sign-out, and the audit trail.
 */
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { TestClient } from "../helpers/http";
import { adminSessions, auditEvents } from "../../db/schema";

let sim: Simulator;
let steward: TestSteward;

beforeAll(async () => {
  sim = await startSimulator({ users: 12, seed: 7 });
  steward = await startTestSteward({ homeserverUrl: sim.url });
});
afterAll(async () => {
  await steward?.close();
  await sim?.close();
});

const nonAdmin = () => [...sim.state.users.values()].find((u) => !u.admin && !u.deactivated && !u.locked && !u.is_guest && u.password)!;

describe("sign-in", () => {
  it("sends an anonymous visitor to the sign-in page, remembering where they were going", async () => {
    const c = new TestClient(steward.url);
    const res = await c.get("/audit?page=2");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/login?next=%2Faudit%3Fpage%3D2");
    const page = await c.get("/login");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toContain('name="homeserver"'); // one managed homeserver: nothing to choose
    expect(html).toContain("Homeserver:");
    expect(html).toContain(">Username</label>");
    expect(html).toContain(">Password</label>");
    expect(html).toContain(sim.url);
  });

  it("refuses a wrong password with a clear message and records it", async () => {
    const c = new TestClient(steward.url);
    const res = await c.signIn("admin", "wrong", sim.url);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("Wrong username or password.");
    expect(c.cookies.has("steward_session")).toBe(false);
    const audit = await steward.database.db.select().from(auditEvents);
    expect(audit.some((a) => a.action === "auth.sign_in" && a.outcome === "refused" && (a.detail as { reason?: string })?.reason === "bad_password")).toBe(true);
  });

  it("refuses a non-admin and logs out the token it obtained", async () => {
    const user = nonAdmin();
    const before = [...sim.state.tokens.values()].filter((t) => t.user_id === user.name).length;
    const c = new TestClient(steward.url);
    const res = await c.signIn(user.localpart, user.password!, sim.url);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("is not a server admin");
    const after = [...sim.state.tokens.values()].filter((t) => t.user_id === user.name).length;
    expect(after).toBe(before);
  });

  it("refuses a non-admin and says so when the homeserver would not log out the session it opened", async () => {
    const user = nonAdmin();
    const before = [...sim.state.tokens.values()].filter((t) => t.user_id === user.name).length;
    // Every try (a logout is retried): the homeserver keeps failing it.
    sim.injectFault({ kind: "status500", path: "/_matrix/client/v3/logout", method: "POST" });
    try {
      const c = new TestClient(steward.url);
      const res = await c.signIn(user.localpart, user.password!, sim.url);
      expect(res.status).toBe(400);
      const text = (await res.text()).replace(/<!-- -->/g, "");
      expect(text).toContain("is not a server admin");
      expect(text).toContain("Steward could not close the session it opened on your account for this attempt.");
      expect(text).toContain("had an internal error (HTTP 500)");
      expect(text).toContain("where it is named &quot;Steward admin dashboard&quot;");
      // The token really is still there: the message is not a guess.
      expect([...sim.state.tokens.values()].filter((t) => t.user_id === user.name).length).toBe(before + 1);
    } finally {
      sim.clearFaults();
    }
  });

  it("signs in the admin with an httpOnly, SameSite=Lax session cookie and keeps the token encrypted", async () => {
    const c = new TestClient(steward.url);
    const res = await c.signIn("admin", "admin", sim.url);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/");
    const cookie = res.headers.getSetCookie().find((h) => h.startsWith("steward_session="))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/); // plain http here
    const home = await c.get("/");
    expect(home.status).toBe(200);
    const html = await home.text();
    expect(html).toContain(`@admin:${sim.serverName}`);
    expect(html).toContain("Synapse 1.132.0");
    expect(home.headers.get("server-timing")).toMatch(/db;.*dur=.*hs;.*dur=/);
    // The token the simulator issued is nowhere in the page and not in the database in clear.
    const issued = [...sim.state.tokens.values()].filter((t) => t.user_id === `@admin:${sim.serverName}`).map((t) => t.token);
    const rows = await steward.database.db.select().from(adminSessions);
    for (const token of issued) {
      expect(html).not.toContain(token);
      for (const r of rows) expect(JSON.stringify(r)).not.toContain(token);
    }
    expect(rows.some((r) => r.idHash === c.cookies.get("steward_session"))).toBe(false); // only the hash is stored
  });

  it("accepts a full @user:server id and a pasted access token", async () => {
    const c1 = new TestClient(steward.url);
    expect((await c1.signIn(`@admin:${sim.serverName}`, "admin", sim.url)).status).toBe(302);
    const c2 = new TestClient(steward.url);
    const res = await c2.postForm("/login", { homeserver: sim.url, mode: "token", accessToken: sim.adminToken });
    expect(res.status).toBe(302);
    expect((await c2.get("/")).status).toBe(200);
  });

  it("shows field errors for empty input and ignores a homeserver named in the post", async () => {
    const c = new TestClient(steward.url);
    const empty = await (await c.postForm("/login", { homeserver: sim.url, username: "", password: "" })).text();
    expect(empty).toContain("Enter your username");
    expect(empty).toContain("Enter your password.");
    // The configured homeserver is the only one: a posted address changes nothing (issue 19, finding 1).
    const other = await c.signIn("admin", "admin", "https://elsewhere.example");
    expect(other.status).toBe(302);
  });

  it("sends the admin back to sign in when the homeserver revokes the token", async () => {
    // Re-verify on every request here, so the test need not wait a minute.
    const s2 = await startTestSteward({ homeserverUrl: sim.url, env: { SESSION_REVERIFY_SECONDS: "0" } });
    try {
      const c = new TestClient(s2.url);
      await c.signIn("admin", "admin", sim.url);
      expect((await c.get("/audit")).status).toBe(200);
      // Revoke the session's token on the homeserver, as an admin logging out all devices would.
      for (const [token, t] of sim.state.tokens) if (t.user_id === `@admin:${sim.serverName}` && token !== sim.adminToken) sim.state.tokens.delete(token);
      const res = await c.get("/audit");
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe("/login?next=%2Faudit&reason=expired");
      const page = await (await c.get("/login?reason=expired")).text();
      expect(page).toContain("Your homeserver session ended");
      expect((await c.get("/audit")).status).toBe(302); // the session is gone, not just bounced once
    } finally {
      await s2.close();
    }
  });

  it("ends the session of an account that lost its admin rights", async () => {
    const s2 = await startTestSteward({ homeserverUrl: sim.url, env: { SESSION_REVERIFY_SECONDS: "0" } });
    const second = [...sim.state.users.values()].find((u) => u.admin && u.localpart !== "admin" && u.password);
    const user = second ?? nonAdmin();
    const wasAdmin = user.admin;
    user.admin = true;
    try {
      const c = new TestClient(s2.url);
      expect((await c.signIn(user.localpart, user.password!, sim.url)).status).toBe(302);
      expect((await c.get("/audit")).status).toBe(200);
      user.admin = false;
      const res = await c.get("/audit");
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toContain("reason=not_admin");
    } finally {
      user.admin = wasAdmin;
      await s2.close();
    }
  });

  it("keeps serving pages from the database while the homeserver is down", async () => {
    const s2 = await startTestSteward({ homeserverUrl: sim.url, env: { SESSION_REVERIFY_SECONDS: "0" } });
    try {
      const c = new TestClient(s2.url);
      await c.signIn("admin", "admin", sim.url);
      sim.injectFault({ kind: "status500", path: "/_synapse/admin/v2/users/" });
      const res = await c.get("/audit");
      expect(res.status).toBe(200);
    } finally {
      sim.clearFaults();
      await s2.close();
    }
  });
});

describe("sign-out", () => {
  it("refuses a sign-out without the CSRF token, then signs out and logs the token out on the homeserver", async () => {
    const c = new TestClient(steward.url);
    await c.signIn("admin", "admin", sim.url);
    const tokensBefore = new Set([...sim.state.tokens.keys()]);
    const refused = await c.postForm("/logout", {});
    expect(refused.status).toBe(403);
    const wrong = await c.postForm("/logout", { csrf: "not-the-token" });
    expect(wrong.status).toBe(403);
    expect((await c.get("/")).status).toBe(200); // still signed in
    const csrf = await c.csrfToken("/");
    const crossSite = await c.postForm("/logout", { csrf }, { Origin: "https://evil.example" });
    expect(crossSite.status).toBe(403);
    const ok = await c.postForm("/logout", { csrf });
    expect(ok.status).toBe(302);
    expect(ok.headers.get("location")).toBe("/login?reason=signed_out");
    expect((await c.get("/")).status).toBe(302);
    const revoked = [...tokensBefore].filter((t) => !sim.state.tokens.has(t));
    expect(revoked).toHaveLength(1);
    const audit = await steward.database.db.select().from(auditEvents);
    expect(audit.some((a) => a.action === "auth.sign_out" && a.actor === `@admin:${sim.serverName}` && a.outcome === "ok")).toBe(true);
  });
});

describe("homeserver trouble at sign-in", () => {
  it("says plainly when the homeserver is unreachable", async () => {
    // A listener that drops every connection (reset): a closed port could be taken by another test's server meanwhile.
    const dropping = net.createServer((socket) => socket.resetAndDestroy());
    await new Promise<void>((r) => dropping.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(dropping.address() as AddressInfo).port}`;
    const s = await startTestSteward({ homeserverUrl: url });
    try {
      const res = await new TestClient(s.url).signIn("admin", "admin", url);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain("could not be reached");
    } finally {
      await s.close();
      await new Promise<void>((r) => dropping.close(() => r()));
    }
  });

  it("says plainly when the address is not a Matrix server", async () => {
    const web = http.createServer((_, res) => {
      res.writeHead(404, { "Content-Type": "text/html" });
      res.end("<html><body>Not here</body></html>");
    });
    await new Promise<void>((r) => web.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
    const s = await startTestSteward({ homeserverUrl: url });
    try {
      const res = await new TestClient(s.url).signIn("admin", "admin", url);
      expect(await res.text()).toContain("does not look like a Matrix homeserver");
    } finally {
      await s.close();
      await new Promise<void>((r) => web.close(() => r()));
    }
  });

  it("says when the homeserver rate-limits sign-in", async () => {
    // A Steward of its own: its own per-address limit must not be what answers here.
    const s = await startTestSteward({ homeserverUrl: sim.url });
    sim.setRateLimits(true);
    try {
      let text = "";
      for (let i = 0; i < 8 && !text.includes("limiting sign-in"); i++) {
        text = await (await new TestClient(s.url).signIn("admin", "wrong", sim.url)).text();
      }
      expect(text).toContain("The homeserver is limiting sign-in attempts");
    } finally {
      sim.setRateLimits(false);
      await s.close();
    }
  });

  it("limits sign-in attempts per address itself, across processes (held in the database)", async () => {
    const s = await startTestSteward({ homeserverUrl: sim.url });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) statuses.push((await new TestClient(s.url).signIn("admin", "wrong", sim.url)).status);
      expect(statuses.slice(0, 10).every((st) => st === 400)).toBe(true);
      const last = await new TestClient(s.url).signIn("admin", "admin", sim.url);
      expect(last.status).toBe(429);
      expect(Number(last.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await last.text()).toContain("Too many sign-in attempts from your address");
    } finally {
      await s.close();
    }
  });
});

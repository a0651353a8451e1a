/**
 * Steward's own devices on the admin's account (issue 14, item 21; decision 021), through the real server against
 * the simulator: a browser that signs in again reuses its device, an expired session's token is logged out by the
 * housekeeping purge (which deletes its device), a pasted token is never logged out, and the admin sees the count.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { addDevice, issueToken, startSimulator, type Simulator } from "../simulator/index";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { TestClient } from "../helpers/http";
import { adminSessions, auditEvents, rateLimits } from "../../db/schema";
import { sha256 } from "../../app/services/auth/crypto.server";
import { STEWARD_DEVICE_NAME } from "../../app/services/auth/steward-device";
import { purgeExpiredSessions } from "../../app/services/auth/session-end.server";
import { sessionEndDeps } from "../../app/services/auth/guard.server";

let sim: Simulator;
let steward: TestSteward;
let admin: string;

beforeAll(async () => {
  sim = await startSimulator({ users: 8, seed: 21 });
  admin = `@admin:${sim.serverName}`;
  // Housekeeping every second, so the purge runs from the server's own timer while the tests wait for it.
  steward = await startTestSteward({ homeserverUrl: sim.url, housekeepingEveryMs: 1_000 });
}, 120_000);
// Every test signs in a few times from one address: Steward's own sign-in limit is not what this file tests.
beforeEach(async () => {
  await steward.database.db.delete(rateLimits);
});
afterAll(async () => {
  await steward?.close();
  await sim?.close();
});

const stewardDevices = (userId = admin) => [...(sim.state.devices.get(userId)?.values() ?? [])].filter((d) => d.display_name === STEWARD_DEVICE_NAME).map((d) => d.device_id);
const sessionRow = async (c: TestClient) => (await steward.database.db.select().from(adminSessions).where(eq(adminSessions.idHash, sha256(c.cookies.get("steward_session")!))))[0];
const IDLE_MINUTES = () => steward.config.sessionIdleMinutes;

async function expire(idHash: string, how: "idle" | "limit" = "idle") {
  const db = steward.database.db;
  if (how === "idle") await db.update(adminSessions).set({ lastSeenAt: new Date(Date.now() - (IDLE_MINUTES() + 1) * 60_000) }).where(eq(adminSessions.idHash, idHash));
  else await db.update(adminSessions).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(adminSessions.idHash, idHash));
}

/** Polls (no timing assertion) until `check` holds; the housekeeping timer runs every second. */
async function until(check: () => Promise<boolean> | boolean, what: string, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Removes the admin's Steward devices, so each test counts from zero. */
function clearStewardDevices() {
  for (const id of stewardDevices()) sim.state.devices.get(admin)!.delete(id);
}

describe("one device per browser", () => {
  it("signing in twice from one browser, while signed in, keeps the same device", async () => {
    clearStewardDevices();
    const c = new TestClient(steward.url);
    expect((await c.signIn("admin", "admin")).status).toBe(302);
    const first = await sessionRow(c);
    expect(stewardDevices()).toEqual([first.deviceId]);
    expect((await c.signIn("admin", "admin")).status).toBe(302);
    const second = await sessionRow(c);
    expect(second.idHash).not.toBe(first.idHash);
    expect(second.deviceId).toBe(first.deviceId);
    expect(stewardDevices()).toEqual([first.deviceId]);
    // The new session works (the device was not logged out under it), the old one is gone.
    expect((await c.get("/")).status).toBe(200);
    expect(await steward.database.db.select().from(adminSessions).where(eq(adminSessions.idHash, first.idHash))).toHaveLength(0);
    const audit = await steward.database.db.select().from(auditEvents).where(and(eq(auditEvents.action, "auth.sign_in"), eq(auditEvents.outcome, "ok")));
    expect(audit.at(-1)!.detail).toMatchObject({ device: first.deviceId, deviceReused: true });
  });

  it("a browser whose session expired signs in again on the same device: one device, not two", async () => {
    clearStewardDevices();
    const c = new TestClient(steward.url);
    await c.signIn("admin", "admin");
    const first = await sessionRow(c);
    await expire(first.idHash);
    // The expired session sends the browser to sign in (and drops its session cookie)...
    const back = await c.get("/audit");
    expect(back.status).toBe(302);
    expect(back.headers.get("location")).toMatch(/^\/login/);
    expect(c.cookies.has("steward_session")).toBe(false);
    // ...and signing in again reuses the device this browser remembers.
    expect((await c.signIn("admin", "admin")).status).toBe(302);
    const second = await sessionRow(c);
    expect(second.deviceId).toBe(first.deviceId);
    expect((await c.get("/")).status).toBe(200);
    // Whatever the purge did meanwhile, the account ends with one Steward device and the new session still works.
    await until(async () => (await steward.database.db.select().from(adminSessions).where(eq(adminSessions.idHash, first.idHash))).length === 0, "the expired session to go");
    expect(stewardDevices()).toEqual([first.deviceId]);
    expect((await c.get("/audit")).status).toBe(200);
  });

  it("a different account in the same browser gets a device of its own, and a forged device cookie is ignored", async () => {
    clearStewardDevices();
    const c = new TestClient(steward.url);
    await c.signIn("admin", "admin");
    const mine = (await sessionRow(c)).deviceId!;
    // The admin's phone, which a planted cookie must never make Steward sign in on (and later delete).
    const phone = addDevice(sim.state, admin, { display_name: "Element on my phone" });
    const cookie = c.cookies.get("steward_device")!;
    const [payload] = cookie.split(".");
    const forged = Buffer.from(JSON.stringify({ u: admin, d: phone.device_id })).toString("base64url");
    c.cookies.set("steward_device", `${forged}.${cookie.split(".")[1]}`);
    expect(payload).not.toBe(forged);
    expect((await c.signIn("admin", "admin")).status).toBe(302);
    const row = await sessionRow(c);
    expect(row.deviceId).not.toBe(phone.device_id);
    expect(sim.state.devices.get(admin)!.has(phone.device_id)).toBe(true);
    expect(row.deviceId).toBe(mine); // the previous session's device, from the session the browser still held
  });
});

describe("ending expired sessions", () => {
  it("logs an idle session's token out on the homeserver (its device goes) and records it", async () => {
    clearStewardDevices();
    const c = new TestClient(steward.url);
    await c.signIn("admin", "admin");
    const row = await sessionRow(c);
    const token = [...sim.state.tokens.values()].find((t) => t.device_id === row.deviceId)!;
    expect(token).toBeDefined();
    await expire(row.idHash, "idle");
    await until(() => !sim.state.devices.get(admin)!.has(row.deviceId!), "the expired session's device to be deleted");
    expect(sim.state.tokens.has(token.token)).toBe(false);
    await until(async () => (await steward.database.db.select().from(adminSessions).where(eq(adminSessions.idHash, row.idHash))).length === 0, "the row to go");
    const ended = (await steward.database.db.select().from(auditEvents).where(eq(auditEvents.action, "auth.session_ended"))).find((a) => (a.detail as { device?: string }).device === row.deviceId);
    expect(ended).toMatchObject({ actor: admin, outcome: "ok", detail: { reason: "idle", homeserverLogout: "ok" } });
    // The audit page says it in words.
    const page = await (await signedInClient()).get("/audit");
    expect(await page.text()).toContain("session ended after being idle too long");
  });

  it("also at the absolute time limit", async () => {
    const c = new TestClient(steward.url);
    await c.signIn("admin", "admin");
    const row = await sessionRow(c);
    await expire(row.idHash, "limit");
    await until(() => !sim.state.devices.get(admin)!.has(row.deviceId!), "the device of the session past its time limit to be deleted");
    await until(async () => (await steward.database.db.select().from(auditEvents).where(eq(auditEvents.action, "auth.session_ended"))).some((a) => (a.detail as { device?: string; reason?: string }).device === row.deviceId && (a.detail as { reason?: string }).reason === "time_limit"), "the audit entry");
  });

  it("never logs out a token the admin pasted in", async () => {
    const phone = addDevice(sim.state, admin, { display_name: "Element on my laptop" });
    const pasted = issueToken(sim.state, admin, phone.device_id);
    const c = new TestClient(steward.url);
    expect((await c.postForm("/login", { mode: "token", accessToken: pasted })).status).toBe(302);
    const row = await sessionRow(c);
    expect(row.tokenProvided).toBe(1);
    // The browser has no Steward device of its own to remember from a pasted token.
    expect(c.cookies.has("steward_device")).toBe(false);
    await expire(row.idHash);
    await until(async () => (await steward.database.db.select().from(adminSessions).where(eq(adminSessions.idHash, row.idHash))).length === 0, "the pasted-token session to be purged");
    expect(sim.state.tokens.has(pasted)).toBe(true);
    expect(sim.state.devices.get(admin)!.has(phone.device_id)).toBe(true);
    const ended = (await steward.database.db.select().from(auditEvents).where(eq(auditEvents.action, "auth.session_ended"))).at(-1)!;
    expect(ended.detail).toMatchObject({ homeserverLogout: "skipped" });
    // A password sign-in from the same browser afterwards gets a Steward device, never the pasted token's.
    await c.signIn("admin", "admin");
    expect((await sessionRow(c)).deviceId).not.toBe(phone.device_id);
    expect(sim.state.tokens.has(pasted)).toBe(true);
  });

  it("keeps a session whose token could not be logged out (homeserver silent) and ends it once it answers", async () => {
    const c = new TestClient(steward.url);
    await c.signIn("admin", "admin");
    const row = await sessionRow(c);
    // A homeserver that answers nothing: the logout cannot happen, so the session (and its token) is kept.
    const silent = http.createServer((_req, res) => res.destroy());
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    const deps = sessionEndDeps(steward.context);
    const deadUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const unreachable = { ...deps, homeserver: (_url: string, token?: string, opts?: { timeoutMs?: number; maxRetries?: number }) => steward.context.homeserver(deadUrl, token, { ...opts, maxRetries: 0 }) };
    // Stop the server's own timer from ending it first: this test drives the purge by hand, with a clock of its own.
    const later = new Date(Date.now() + (IDLE_MINUTES() + 1) * 60_000);
    await purgeExpiredSessions(unreachable, later);
    expect(await steward.database.db.select().from(adminSessions).where(eq(adminSessions.idHash, row.idHash))).toHaveLength(1);
    expect(sim.state.devices.get(admin)!.has(row.deviceId!)).toBe(true);
    await purgeExpiredSessions(deps, later);
    expect(await steward.database.db.select().from(adminSessions).where(eq(adminSessions.idHash, row.idHash))).toHaveLength(0);
    expect(sim.state.devices.get(admin)!.has(row.deviceId!)).toBe(false);

    // A day later with still no answer, Steward gives up on that session and records that its device may remain.
    const c2 = await signedInClient();
    const row2 = await sessionRow(c2);
    const dayLater = new Date(Date.now() + 25 * 3600_000 + (IDLE_MINUTES() + 1) * 60_000);
    await purgeExpiredSessions(unreachable, dayLater);
    silent.close();
    expect(await steward.database.db.select().from(adminSessions).where(eq(adminSessions.idHash, row2.idHash))).toHaveLength(0);
    expect(sim.state.devices.get(admin)!.has(row2.deviceId!)).toBe(true);
    const gaveUp = (await steward.database.db.select().from(auditEvents).where(eq(auditEvents.action, "auth.session_ended"))).find((a) => (a.detail as { device?: string }).device === row2.deviceId);
    expect(gaveUp).toMatchObject({ outcome: "error", detail: { homeserverLogout: "failed" } });
  });
});

async function signedInClient() {
  const c = new TestClient(steward.url);
  await c.signIn("admin", "admin");
  return c;
}

describe("the count the admin sees", () => {
  it("shows how many Steward devices the account has, in the header and on the admin's own page", async () => {
    clearStewardDevices();
    // Two left behind by sign-ins that never signed out (before Steward reused devices).
    addDevice(sim.state, admin, { device_id: "OLDSTEWARD1", display_name: STEWARD_DEVICE_NAME });
    addDevice(sim.state, admin, { device_id: "OLDSTEWARD2", display_name: STEWARD_DEVICE_NAME });
    const c = await signedInClient();
    const home = await (await c.get("/")).text();
    expect(home).toMatch(/data-testid="steward-devices"[^>]*>3 Steward devices</);
    const own = await (await c.get(`/users/${encodeURIComponent(admin)}`)).text();
    expect(own).toContain('data-testid="steward-devices-note"');
    expect(own).toMatch(/Your account has <strong>3 Steward devices<\/strong>/);
    expect(own).toContain("the other 2 are left from other browsers or earlier sign-ins");
    // Each old one has the user page's own "Sign out…" (issue 15); this session's device has none.
    expect(own).toContain(`device=OLDSTEWARD1`);
    expect(own).toContain(`device=OLDSTEWARD2`);
    expect(own).not.toContain(`device=${(await sessionRow(c)).deviceId}"`);
    // Signed out elsewhere: the admin's own page counts again, and the header follows.
    sim.state.devices.get(admin)!.delete("OLDSTEWARD1");
    sim.state.devices.get(admin)!.delete("OLDSTEWARD2");
    const after = await (await c.get(`/users/${encodeURIComponent(admin)}`)).text();
    expect(after).toMatch(/Your account has <strong>1 Steward device<\/strong>/);
    expect((await sessionRow(c)).stewardDevices).toBe(1);
    expect(await (await c.get("/")).text()).toMatch(/data-testid="steward-devices"[^>]*>1 Steward device</);
  });
});

/**
 * Issue 16, item 8: Steward reads Synapse 1.132's and 1.157's behaviour correctly. The simulator switches them with
 * one `synapseVersion` (synapse-versions.md): the users list's last_seen_ts from the devices since 1.140 (the
 * single-user GET keeps user_ips), login-as 404 for an unknown account since 1.149, erasing deletes the profile since
 * 1.150, and MAS's lock stored in Synapse only from 1.150. Each case runs the app's own path against both.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { homeserverUsers } from "../../db/schema";
import { createHomeserverClient } from "../../app/homeserver/index";
import { createLogger } from "../../app/services/observability/log.server";
import { runCollector } from "../../app/services/collectors/framework.server";
import { userCountsCollector } from "../../app/services/users/counts-collector.server";
import { latestSnapshot } from "../../app/services/users/counts.server";
import { ACCOUNT_GONE, backupViaLoginAs } from "../../app/services/posture/backup.server";
import { addDevice, startSimulator, type Simulator } from "../simulator/index";
import { enc, simFetch } from "../simulator/client";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { TestClient } from "../helpers/http";
import { masSignIn, startMasWorld, type MasWorld } from "../helpers/mas";

const DAY = 86_400_000;
const log = createLogger("error");
const VERSIONS = [
  { version: "1.132.0", listFromDevices: false, storesMasLock: false },
  { version: "1.157.1", listFromDevices: true, storesMasLock: true },
];
const USERS = "routes%2F_app.users._index";
const USER = "routes%2F_app.users.%24userId";

/** A display name that can be looked for in HTML as is (the seeded hostile ones are escaped there). */
const plainName = (n: string | null) => n !== null && /^[A-Za-z][A-Za-z .'-]{3,40}$/.test(n);

type Row = { userId: string; displayname: string | null; locked: boolean; erased: boolean; lastSeenTs: string | null };

async function collectUsers(sim: Simulator, steward: TestSteward, token: string) {
  const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: token, maxRetries: 0 });
  const out = await runCollector({ database: steward.database, config: steward.config, log, now: () => new Date(sim.clock.now()) }, userCountsCollector, hs, "cli");
  expect(out.status, JSON.stringify(out)).toBe("ok");
}

async function listed(c: TestClient, query: string): Promise<Row[]> {
  const res = await c.get(`/users?${query}&_data=${USERS}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { rows: Row[] }).rows;
}

describe.each(VERSIONS)("Synapse $version (classic sign-in)", ({ version, listFromDevices }) => {
  let sim: Simulator;
  let steward: TestSteward;
  let c: TestClient;
  beforeAll(async () => {
    sim = await startSimulator({ users: 12, seed: 5, synapseVersion: version });
    steward = await startTestSteward({ homeserverUrl: sim.url });
    c = new TestClient(steward.url);
    expect((await c.signIn("admin", "admin")).status).toBe(302);
  }, 60_000);
  afterAll(async () => {
    await steward?.close();
    await sim?.close();
  });

  const someone = (skip: string[] = []) =>
    [...sim.state.users.values()].find((u) => !u.admin && !u.deactivated && !u.is_guest && !u.locked && u.user_type === null && plainName(u.displayname) && !skip.includes(u.name))!;

  it("last seen: the list as this version reports it; the user page the latest of IP rows, list and devices", async () => {
    const u = someone();
    const device = [...(sim.state.devices.get(u.name)?.values() ?? [])][0] ?? addDevice(sim.state, u.name, { display_name: "phone" });
    const now = sim.clock.now();
    // The IP rows say 20 days ago (the rest pruned); the phone was used an hour ago.
    u.last_seen_ts = now - 20 * DAY;
    for (const d of sim.state.devices.get(u.name)!.values()) d.last_seen_ts = d === device ? now - 3_600_000 : null;
    await collectUsers(sim, steward, sim.adminToken);
    const [row] = (await listed(c, `q=${encodeURIComponent(u.localpart)}`)).filter((r) => r.userId === u.name);
    const expected = listFromDevices ? now - 3_600_000 : now - 20 * DAY;
    expect(row.lastSeenTs).toBe(new Date(expected).toISOString());
    const page = (await (await c.get(`/users/${enc(u.name)}?_data=${USER}`)).json()) as { lastSeenTs: string | null; profile: { ok: boolean; value: { lastSeenTs: string | null } } };
    // The single-user GET reads the IP rows on both versions; the page does not stop there.
    expect(page.profile.value.lastSeenTs).toBe(new Date(now - 20 * DAY).toISOString());
    expect(page.lastSeenTs).toBe(new Date(now - 3_600_000).toISOString());
  });

  it("posture backup via login-as: an account that is gone is 'gone' on both (404 since 1.149, a refused token before)", async () => {
    const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken, maxRetries: 0 });
    const ghost = await backupViaLoginAs(hs, `@ghost-${version.replace(/\./g, "")}:${sim.serverName}`, sim.clock.now());
    expect(ghost).toEqual({ fact: { status: "unknown", source: "login_as", note: ACCOUNT_GONE } });
    // Nothing about it ends the admin's own session (the refused token was the login-as one).
    expect((await hs.auth.whoami()).userId).toBe(`@admin:${sim.serverName}`);
    // An account that exists reads the same on both versions.
    const u = someone();
    const real = await backupViaLoginAs(hs, u.name, sim.clock.now());
    expect(real.unavailable).toBeUndefined();
    expect(["ok", "missing"]).toContain(real.fact.status);
  });

  it("an erased account is listed and shown as erased, without its old display name", async () => {
    const u = someone([someone().name]);
    const oldName = u.displayname!;
    expect((await simFetch(sim, `/_synapse/admin/v1/deactivate/${enc(u.name)}`, { body: { erase: true } })).status).toBe(200);
    await collectUsers(sim, steward, sim.adminToken);
    const [row] = (await listed(c, `q=${encodeURIComponent(u.localpart)}&filter=deactivated`)).filter((r) => r.userId === u.name);
    expect(row).toMatchObject({ erased: true });
    expect(row.displayname ?? "").toBe("");
    const html = await (await c.get(`/users/${enc(u.name)}`)).text();
    expect(html).toContain(">erased<");
    expect(html).not.toContain('data-testid="displayname"');
    expect(html).not.toContain(oldName);
  });
});

describe.each(VERSIONS)("Synapse $version delegating to MAS", ({ version, storesMasLock }) => {
  let w: MasWorld;
  let c: TestClient;
  beforeAll(async () => {
    w = await startMasWorld({ synapseVersion: version });
    c = new TestClient(w.steward.url);
    expect((await masSignIn(c, w, "admin", "admin")).res.status).toBe(302);
  }, 120_000);
  afterAll(async () => {
    await w?.close();
  });

  const masUser = (skip: string[] = []) =>
    [...w.mas.state.users.values()].find((u) => !u.admin && u.locked_at === null && u.deactivated_at === null && !u.legacy_guest && !skip.includes(u.username) && plainName(w.sim.state.users.get(`@${u.username}:${w.sim.serverName}`)?.displayname ?? null))!;
  const masAdmin = (path: string, body: unknown = {}) =>
    fetch(`${w.mas.url}/api/admin/v1/${path}`, { method: "POST", headers: { Authorization: `Bearer ${w.mas.adminToken}`, "Content-Type": "application/json" }, body: JSON.stringify(body) });

  it("an account locked in MAS is stored and counted as locked, whether or not Synapse stored the lock", async () => {
    const u = masUser();
    expect((await masAdmin(`users/${u.id}/lock`)).status).toBe(200);
    const synapseUser = w.sim.state.users.get(`@${u.username}:${w.sim.serverName}`)!;
    expect(synapseUser.locked).toBe(storesMasLock);
    await collectUsers(w.sim, w.steward, w.mas.adminToken);
    const locked = await listed(c, "filter=locked");
    expect(locked.map((r) => r.userId)).toContain(synapseUser.name);
    const [stored] = await w.steward.database.db.select().from(homeserverUsers).where(eq(homeserverUsers.userId, synapseUser.name));
    expect(stored.locked).toBe(true);
    const lockedInMas = new Set([...w.mas.state.users.values()].filter((x) => x.locked_at !== null).map((x) => x.username));
    const expected = [...w.sim.state.users.values()].filter((x) => !x.is_guest && (x.locked || lockedInMas.has(x.localpart))).length;
    expect((await latestSnapshot(w.steward.database.db))!.locked).toBe(expected);
  });

  it("an account MAS deactivates (erasing by default) is shown as erased, without its old display name", async () => {
    const u = masUser([masUser().username]);
    const synapseUser = w.sim.state.users.get(`@${u.username}:${w.sim.serverName}`)!;
    const oldName = synapseUser.displayname!;
    expect((await masAdmin(`users/${u.id}/deactivate`)).status).toBe(200);
    await collectUsers(w.sim, w.steward, w.mas.adminToken);
    const [row] = (await listed(c, `q=${encodeURIComponent(u.username)}&filter=deactivated`)).filter((r) => r.userId === synapseUser.name);
    expect(row).toMatchObject({ erased: true });
    expect(row.displayname ?? "").toBe("");
    const html = await (await c.get(`/users/${enc(synapseUser.name)}`)).text();
    expect(html).toContain(">erased<");
    expect(html).not.toContain('data-testid="displayname"');
    expect(html).not.toContain(oldName);
  });
});

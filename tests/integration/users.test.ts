/**
 * The users pages and the user gauges through the real server: search, filters, sorting, paging and the
 * last-seen column over Steward's stored list (expectations computed from the simulator's state); the user
 * detail with live devices, a live failure shown beside its section, an unknown user, hostile display names
 * escaped; and `steward_users{state=...}` on /metrics.
 */
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, HOSTILE_DISPLAYNAMES, type Simulator, type SimUser } from "../simulator/index";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { TestClient } from "../helpers/http";
import { loadConfig } from "../../app/config.server";
import { createLogger } from "../../app/services/observability/log.server";
import { runCollector } from "../../app/services/collectors/framework.server";
import { userCountsCollector } from "../../app/services/users/counts-collector.server";
import { createHomeserverClient } from "../../app/homeserver/index";

let sim: Simulator;
let steward: TestSteward;
let client: TestClient;
const DAY = 86_400_000;

beforeAll(async () => {
  sim = await startSimulator({ users: 70, seed: 4 });
  steward = await startTestSteward({ homeserverUrl: sim.url });
  const config = loadConfig({ NODE_ENV: "test", HOMESERVER_URL: sim.url, SESSION_SECRET: "x".repeat(40), STEWARD_DATA_DIR: os.tmpdir() });
  const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken, maxRetries: 0 });
  const outcome = await runCollector({ database: steward.database, config, log: createLogger("error") }, userCountsCollector, hs, "cli");
  expect(outcome.status).toBe("ok");
  client = new TestClient(steward.url);
  expect((await client.postForm("/login", { homeserver: sim.url, mode: "token", accessToken: sim.adminToken })).status).toBe(302);
});
afterAll(async () => {
  await steward?.close();
  await sim?.close();
});

const users = () => [...sim.state.users.values()];
/** The user ids listed in the users table, in order. */
function listedIds(html: string): string[] {
  return [...html.matchAll(/<a [^>]*href="\/users\/([^"?]+)"/g)].map((m) => decodeURIComponent(m[1].replace(/&amp;/g, "&")));
}
async function page(path: string): Promise<string> {
  const res = await client.get(path);
  expect(res.status, path).toBe(200);
  return res.text();
}

describe("users list", () => {
  it("pages through every account sorted by id, 50 at a time", async () => {
    const all = users().map((u) => u.name).sort();
    const first = listedIds(await page("/users"));
    const second = listedIds(await page("/users?page=2"));
    expect(first).toEqual(all.slice(0, 50));
    expect(second).toEqual(all.slice(50, 100));
  });

  it("searches ids and display names (case-insensitive substring) on the server", async () => {
    const term = "an";
    const expected = users()
      .filter((u) => u.name.toLowerCase().includes(term) || (u.displayname ?? "").toLowerCase().includes(term))
      .map((u) => u.name)
      .sort();
    expect(expected.length).toBeGreaterThan(2);
    const html = await page(`/users?q=${term.toUpperCase()}`);
    expect(listedIds(html)).toEqual(expected.slice(0, 50));
    // % and _ are literal, not wildcards.
    expect(listedIds(await page("/users?q=%25"))).toEqual([]);
  });

  it("counts every match of a search on each page, and past the last page", async () => {
    const inAll = (html: string) => Number(/·\s*(?:<!-- -->)?(\d+)(?:<!-- -->)?\s*in all/.exec(html)?.[1]);
    // ":" is in every user id: more matches than one page holds.
    const all = users().map((u) => u.name).sort();
    expect(all.length).toBeGreaterThan(50);
    const first = await page("/users?q=%3A");
    expect(listedIds(first)).toEqual(all.slice(0, 50));
    expect(inAll(first)).toBe(all.length);
    const second = await page("/users?q=%3A&page=2");
    expect(listedIds(second)).toEqual(all.slice(50, 100));
    expect(inAll(second)).toBe(all.length);
    const beyond = await page("/users?q=%3A&page=9");
    expect(listedIds(beyond)).toEqual([]);
    expect(inAll(beyond)).toBe(all.length);
    // With a filter too, and a search that finds nothing.
    const deactivated = users().filter((u) => u.deactivated).map((u) => u.name).sort();
    expect(deactivated.length).toBeGreaterThan(0);
    const filtered = await page("/users?q=%3A&filter=deactivated");
    expect(listedIds(filtered)).toEqual(deactivated);
    expect(inAll(filtered)).toBe(deactivated.length);
    const none = await page("/users?q=no-such-user-anywhere");
    expect(listedIds(none)).toEqual([]);
    expect(inAll(none)).toBe(0);
  });

  it("filters deactivated, locked, admins, bots, never seen, and inactive for more than N days", async () => {
    const now = Date.now();
    const ids = (p: (u: SimUser) => boolean) => users().filter(p).map((u) => u.name).sort();
    const cases: Array<[string, string[]]> = [
      ["deactivated", ids((u) => u.deactivated)],
      ["locked", ids((u) => u.locked)],
      ["admins", ids((u) => u.admin)],
      ["bots", ids((u) => u.user_type === "bot")],
      ["never_seen", ids((u) => !u.deactivated && u.last_seen_ts === null)],
      ["inactive&days=60", ids((u) => !u.deactivated && (u.last_seen_ts === null || u.last_seen_ts < now - 60 * DAY))],
      ["active&days=7", ids((u) => !u.deactivated && u.last_seen_ts !== null && u.last_seen_ts >= now - 7 * DAY)],
    ];
    for (const [filter, expected] of cases) {
      expect(expected.length, filter).toBeGreaterThan(0);
      expect(listedIds(await page(`/users?filter=${filter}`)), filter).toEqual(expected.slice(0, 50));
    }
  });

  it("sorts by last seen (most recent first, never-seen last) and by creation", async () => {
    const bySeen = users()
      .filter((u) => u.last_seen_ts !== null)
      .sort((a, b) => b.last_seen_ts! - a.last_seen_ts! || (a.name < b.name ? -1 : 1));
    const listed = listedIds(await page("/users?sort=last_seen"));
    expect(listed.slice(0, 10)).toEqual(bySeen.slice(0, 10).map((u) => u.name));
    const oldest = users().sort((a, b) => a.creation_ts - b.creation_ts || (a.name < b.name ? -1 : 1))[0];
    expect(listedIds(await page("/users?sort=created&dir=asc"))[0]).toBe(oldest.name);
  });

  it("shows a clear error beside a bad 'days' and keeps the rest of the query", async () => {
    const html = await page("/users?filter=inactive&days=abc&q=a");
    expect(html).toContain("Enter a whole number of days from 1 to 3650.");
    expect(html).toMatch(/id="users-days-error"/);
    expect(html).toContain('value="a"');
    expect(listedIds(html).length).toBeGreaterThan(0);
  });

  it("escapes hostile display names", async () => {
    const hostile = users().filter((u) => u.displayname && HOSTILE_DISPLAYNAMES.includes(u.displayname));
    expect(hostile.length).toBeGreaterThan(0);
    const html = await page("/users?q=" + encodeURIComponent("onerror"));
    expect(html).not.toContain("<img src=x onerror=alert(1)>");
    if (hostile.some((u) => u.displayname!.startsWith("<img"))) expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });
});

describe("user detail", () => {
  it("shows flags, created, last seen and the live devices", async () => {
    const u = users().find((x) => !x.deactivated && (sim.state.devices.get(x.name)?.size ?? 0) >= 2)!;
    const html = await page(`/users/${encodeURIComponent(u.name)}`);
    for (const d of sim.state.devices.get(u.name)!.values()) {
      if (d.hidden) continue;
      expect(html).toContain(d.device_id);
      if (d.last_seen_ip) expect(html).toContain(d.last_seen_ip);
    }
    expect(html).toContain(new Date(u.creation_ts).toISOString()); // <time dateTime=...>
    expect(html).toContain('data-slot="posture"');
  });

  it("still renders when the live device call fails, and says why", async () => {
    const u = users().find((x) => !x.deactivated && !x.admin)!;
    sim.injectFault({ kind: "status500", path: /\/devices$/ });
    try {
      const html = await page(`/users/${encodeURIComponent(u.name)}`);
      expect(html).toContain("Could not load the devices");
      expect(html).toContain("internal error");
      expect(html).toContain(u.name);
    } finally {
      sim.clearFaults();
    }
  });

  it("answers 404 for an unknown user, something that is not a user id, and a user of another server, saying which", async () => {
    expect((await client.get(`/users/${encodeURIComponent(`@nobody:${sim.serverName}`)}`)).status).toBe(404);
    const garbage = await client.get("/users/not-a-user");
    expect(garbage.status).toBe(404);
    expect(await garbage.text()).toContain("Not a Matrix user ID");
    const remote = await client.get(`/users/${encodeURIComponent("@someone:other.server")}`);
    expect(remote.status).toBe(404);
    expect(await remote.text()).toContain("Not a user of this server");
  });
});

describe("/metrics", () => {
  it("exports steward_users by state from the latest snapshot", async () => {
    const res = await fetch(steward.url + "/metrics");
    const text = await res.text();
    const value = (state: string) => Number(new RegExp(`^steward_users\\{state="${state}"\\} (\\d+)$`, "m").exec(text)?.[1]);
    expect(value("total")).toBe(users().length);
    expect(value("deactivated")).toBe(users().filter((u) => u.deactivated).length);
    expect(value("bots")).toBe(users().filter((u) => u.user_type === "bot").length);
    expect(value("guests")).toBe(users().filter((u) => u.is_guest).length);
    for (const s of ["active_1d", "active_7d", "active_30d", "never_seen", "locked", "admins"]) expect(Number.isFinite(value(s)), s).toBe(true);
  });
});

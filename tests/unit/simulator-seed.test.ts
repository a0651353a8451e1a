// Deterministic, realistic seeding.
import { describe, expect, it } from "vitest";
import { HOSTILE_DISPLAYNAMES, mulberry32, passwordFor, seedState } from "../simulator/seed";
import { createState, type SimState } from "../simulator/state";
import { startSimulator } from "../simulator/index";
import { simFetch } from "../simulator/client";

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const DAY = 86_400_000;

function seeded(users: number, seed: number): SimState {
  const state = createState("sim.test", "1.132.0");
  seedState(state, { users, seed, now: NOW });
  return state;
}

const snapshot = (s: SimState) =>
  JSON.stringify({
    users: [...s.users.values()],
    devices: [...s.devices.entries()].map(([k, m]) => [k, [...m.values()]]),
    connections: s.connections,
  });

describe("seeding", () => {
  it("mulberry32 is deterministic", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
  });

  it("same seed → same users, devices and times; another seed → different users", () => {
    expect(snapshot(seeded(40, 1))).toBe(snapshot(seeded(40, 1)));
    expect(snapshot(seeded(40, 1))).not.toBe(snapshot(seeded(40, 2)));
  });

  it("two simulators with the same seed and clock list the same users", async () => {
    const [a, b] = await Promise.all([1, 2].map(() => startSimulator({ users: 25, seed: 9, now: () => NOW })));
    try {
      const list = async (s: typeof a) =>
        (await simFetch(s, "/_synapse/admin/v3/users", { query: { locked: true } })).json.users;
      expect(await list(a)).toEqual(await list(b));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("has every interesting kind of account in a default-sized population", () => {
    const users = [...seeded(40, 1).users.values()];
    expect(users).toHaveLength(41);
    const count = (p: (u: (typeof users)[number]) => boolean) => users.filter(p).length;
    expect(count((u) => u.admin)).toBe(2);
    expect(count((u) => u.deactivated)).toBeGreaterThanOrEqual(3);
    expect(count((u) => u.locked)).toBe(2);
    expect(count((u) => u.user_type === "bot")).toBe(2);
    expect(count((u) => u.user_type === "support")).toBe(1);
    expect(count((u) => u.is_guest)).toBe(2);
    expect(count((u) => u.shadow_banned)).toBe(1);
    for (const name of HOSTILE_DISPLAYNAMES.slice(0, 3)) expect(users.map((u) => u.displayname)).toContain(name);
    expect(users.some((u) => u.last_seen_ts === null)).toBe(true);
    expect(users.some((u) => u.last_seen_ts !== null && NOW - u.last_seen_ts < DAY)).toBe(true);
    expect(users.some((u) => u.last_seen_ts !== null && NOW - u.last_seen_ts > 30 * DAY)).toBe(true);
    const ages = users.map((u) => NOW - u.creation_ts);
    expect(Math.max(...ages)).toBeGreaterThan(600 * DAY);
    expect(users.every((u) => u.creation_ts % 1000 === 0)).toBe(true);
    expect(users.every((u) => u.last_seen_ts === null || u.last_seen_ts >= u.creation_ts)).toBe(true);
  });

  it("devices: 0–4 per user, none for deactivated users, user last_seen = newest device", () => {
    const state = seeded(40, 1);
    for (const u of state.users.values()) {
      const devices = [...(state.devices.get(u.name)?.values() ?? [])];
      expect(devices.length).toBeLessThanOrEqual(4);
      if (u.deactivated) expect(devices).toHaveLength(0);
      const seen = devices.map((d) => d.last_seen_ts).filter((t): t is number => t !== null);
      if (seen.length) expect(Math.max(...seen)).toBe(u.last_seen_ts);
    }
  });

  it("small populations still seed and stay unique", () => {
    for (const n of [0, 1, 3, 200]) {
      const users = [...seeded(n, 5).users.values()];
      expect(users).toHaveLength(n + 1);
      expect(new Set(users.map((u) => u.name)).size).toBe(n + 1);
    }
  });

  it("every non-guest, non-deactivated user logs in with <localpart>-pass", async () => {
    const sim = await startSimulator({ users: 12, seed: 4 });
    try {
      const u = [...sim.state.users.values()].find((x) => !x.admin && !x.locked && !x.deactivated && !x.is_guest)!;
      expect(u.password).toBe(passwordFor(u.localpart));
      const r = await simFetch(sim, "/_matrix/client/v3/login", {
        token: null,
        body: { type: "m.login.password", identifier: { type: "m.id.user", user: u.localpart }, password: u.password },
      });
      expect(r.status).toBe(200);
    } finally {
      await sim.close();
    }
  });
});

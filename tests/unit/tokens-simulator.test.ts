/**
 * The simulator's token area against the reference: pending/completed counters through the UIA flow, the 48-hour
 * pending expiry on the simulator clock, uses_allowed 0 still admitting sign-ups, stage names and validity paths by
 * version, the registration switches and rc_registration.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import { simFetch } from "../simulator/client";
import { addRegistrationToken } from "../simulator/state-tokens";

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ users: 3, seed: 2, now: () => T0 });
});
afterAll(() => sim.close());

const register = (body: Record<string, unknown>, s = sim) => simFetch(s, "/_matrix/client/v3/register", { token: null, body });

describe("registration tokens in the simulator", () => {
  it("counts pending on the token stage and completed at the end; inhibit_login gives no token", async () => {
    addRegistrationToken(sim.state, { token: "one-use", uses_allowed: 1 });
    const creds = { username: "newbie", password: "newbie-pass-1", inhibit_login: true };
    const first = await register(creds);
    expect(first.status).toBe(401);
    expect(first.json.flows).toEqual([{ stages: ["m.login.registration_token", "m.login.dummy"] }]);
    const session = first.json.session as string;
    const tok = await register({ ...creds, auth: { type: "m.login.registration_token", token: "one-use", session } });
    expect(tok.json.completed).toEqual(["m.login.registration_token"]);
    expect(sim.state.registrationTokens.get("one-use")).toMatchObject({ pending: 1, completed: 0 });
    // With its only use pending, the token is listed invalid and refused to a second sign-up.
    const valid = await simFetch(sim, "/_synapse/admin/v1/registration_tokens", { query: { valid: "false" } });
    expect(valid.json.registration_tokens.map((t: { token: string }) => t.token)).toContain("one-use");
    const done = await register({ ...creds, auth: { type: "m.login.dummy", session } });
    expect(done.status).toBe(200);
    expect(done.json).toEqual({ user_id: "@newbie:sim.test", home_server: "sim.test" });
    expect(sim.state.registrationTokens.get("one-use")).toMatchObject({ pending: 0, completed: 1 });
    expect([...sim.state.tokens.values()].some((t) => t.user_id === "@newbie:sim.test")).toBe(false);
    const again = await simFetch(sim, "/_matrix/client/v1/register/m.login.registration_token/validity", { token: null, query: { token: "one-use" } });
    expect(again.json).toEqual({ valid: false });
  });

  it("gives pending back when the UIA session expires after 48 h", async () => {
    addRegistrationToken(sim.state, { token: "abandoned", uses_allowed: 1 });
    const first = await register({ username: "quitter", password: "p" });
    await register({ username: "quitter", password: "p", auth: { type: "m.login.registration_token", token: "abandoned", session: first.json.session } });
    expect(sim.state.registrationTokens.get("abandoned")!.pending).toBe(1);
    sim.clock.advance(47 * 3600_000);
    expect((await simFetch(sim, "/_synapse/admin/v1/registration_tokens/abandoned")).json.pending).toBe(1);
    sim.clock.advance(2 * 3600_000);
    expect((await simFetch(sim, "/_synapse/admin/v1/registration_tokens/abandoned")).json.pending).toBe(0);
    sim.clock.reset();
  });

  it("still admits a sign-up with uses_allowed 0 (the reference's pitfall)", async () => {
    const v = await simFetch(sim, "/_matrix/client/v1/register/m.login.registration_token/validity", { token: null, query: { token: "zero-uses-hazard" } });
    expect(v.json).toEqual({ valid: true });
    const list = await simFetch(sim, "/_synapse/admin/v1/registration_tokens", { query: { valid: "true" } });
    expect(list.json.registration_tokens.map((t: { token: string }) => t.token)).not.toContain("zero-uses-hazard");
  });

  it("refuses an invalid token inside the 401 body, and validates the admin API like Synapse", async () => {
    const first = await register({ username: "x1", password: "p" });
    const bad = await register({ username: "x1", password: "p", auth: { type: "m.login.registration_token", token: "nope", session: first.json.session } });
    expect(bad.status).toBe(401);
    expect(bad.json).toMatchObject({ errcode: "M_UNAUTHORIZED", completed: [] });
    const zeroLen = await simFetch(sim, "/_synapse/admin/v1/registration_tokens/new", { body: { length: 0 } });
    expect(zeroLen.json.errcode).toBe("M_INVALID_PARAM");
    const boolUses = await simFetch(sim, "/_synapse/admin/v1/registration_tokens/new", { body: { uses_allowed: true } });
    expect(boolUses.status).toBe(400);
    const put = await simFetch(sim, "/_synapse/admin/v1/registration_tokens/nosuch", { method: "PUT", body: { uses_allowed: -1 } });
    expect(put.status).toBe(400); // validation before the existence check
  });
});

describe("versions and switches", () => {
  it("1.50 offers the MSC3231 stage and validity path only", async () => {
    const old = await startSimulator({ users: 1, version: "1.50.0" });
    try {
      const first = await register({ username: "olduser", password: "p" }, old);
      expect(first.json.flows[0].stages[0]).toBe("org.matrix.msc3231.login.registration_token");
      const v1 = await simFetch(old, "/_matrix/client/v1/register/m.login.registration_token/validity", { token: null, query: { token: "x" } });
      expect(v1.status).toBe(404);
      const unstable = await simFetch(
        old,
        "/_matrix/client/unstable/org.matrix.msc3231/register/org.matrix.msc3231.login.registration_token/validity",
        { token: null, query: { token: "welcome-friends" } },
      );
      expect(unstable.json).toEqual({ valid: true });
    } finally {
      await old.close();
    }
  });

  it("registration off → 403 everywhere; no token required → dummy only; rc_registration → 429", async () => {
    const off = await startSimulator({ users: 1, enableRegistration: false });
    const open = await startSimulator({ users: 1, registrationRequiresToken: false, rateLimits: true });
    try {
      expect((await register({ username: "a", password: "p" }, off)).status).toBe(403);
      expect((await simFetch(off, "/_matrix/client/v3/register/available", { token: null, query: { username: "a" } })).status).toBe(403);
      const first = await register({ username: "opener", password: "p" }, open);
      expect(first.json.flows).toEqual([{ stages: ["m.login.dummy"] }]);
      const statuses: number[] = [];
      for (const name of ["r1", "r2", "r3", "r4"]) {
        const s = await register({ username: name, password: "p" }, open);
        const d = await register({ username: name, password: "p", auth: { type: "m.login.dummy", session: s.json.session } }, open);
        statuses.push(d.status);
      }
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses[3]).toBe(429);
    } finally {
      await off.close();
      await open.close();
    }
  });
});

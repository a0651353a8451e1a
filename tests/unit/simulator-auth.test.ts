// Login, tokens and request conventions of the simulator (reference §0, §5; recorded auth.json).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { passwordFor, startSimulator, type Simulator, type SimUser } from "../simulator/index";
import { enc, simFetch, type SimResponse } from "../simulator/client";

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ users: 40, seed: 3, now: () => NOW });
});
afterAll(() => sim.close());

const find = (pred: (u: SimUser) => boolean) => [...sim.state.users.values()].find(pred)!;
const ordinary = () => find((u) => !u.admin && !u.locked && !u.deactivated && !u.is_guest && u.user_type === null);
const login = (user: string, password: string, extra: Record<string, unknown> = {}) =>
  simFetch(sim, "/_matrix/client/v3/login", {
    token: null,
    body: { type: "m.login.password", identifier: { type: "m.id.user", user }, password, ...extra },
  });

describe("login", () => {
  it("advertises the password flow", async () => {
    const r = await simFetch(sim, "/_matrix/client/v3/login", { token: null });
    expect(r.json.flows).toContainEqual({ type: "m.login.password" });
  });

  it("logs in by localpart, full id and legacy `user`; creates a device and a working token", async () => {
    const u = ordinary();
    for (const body of [
      { identifier: { type: "m.id.user", user: u.localpart } },
      { identifier: { type: "m.id.user", user: u.name } },
      { user: u.localpart },
    ]) {
      const r = await simFetch(sim, "/_matrix/client/v3/login", {
        token: null,
        body: { type: "m.login.password", password: passwordFor(u.localpart), initial_device_display_name: "t", ...body },
      });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ user_id: u.name, home_server: "sim.test" });
      expect(r.json.well_known["m.homeserver"].base_url).toBe(`${sim.url}/`);
      expect(sim.state.devices.get(u.name)!.get(r.json.device_id)!.display_name).toBe("t");
      const who = await simFetch(sim, "/_matrix/client/v3/account/whoami", { token: r.json.access_token });
      expect(who.json).toEqual({ user_id: u.name, is_guest: false, device_id: r.json.device_id });
    }
  });

  it("a locked user's password login succeeds on 1.132 (reference §9) and the new device's requests fail locked", async () => {
    const l = find((u) => u.locked);
    const r = await login(l.localpart, passwordFor(l.localpart));
    expect(r.status).toBe(200);
    expect(sim.state.devices.get(l.name)!.has(r.json.device_id)).toBe(true);
    const who = await simFetch(sim, "/_matrix/client/v3/account/whoami", { token: r.json.access_token });
    expect([who.status, who.json.errcode, who.json.soft_logout]).toEqual([401, "M_USER_LOCKED", true]);
  });

  it("1.134 refuses a locked user's login with 401 M_USER_LOCKED (reference §5)", async () => {
    const l = find((u) => u.locked);
    sim.state.version = "1.134.0";
    try {
      const r = await login(l.localpart, passwordFor(l.localpart));
      expect([r.status, r.json.errcode]).toEqual([401, "M_USER_LOCKED"]);
    } finally {
      sim.state.version = "1.132.0";
    }
  });

  it("admin logs in with password `admin`", async () => {
    expect((await login("admin", "admin")).status).toBe(200);
  });

  it.each([
    ["wrong password", () => login(ordinary().localpart, "nope"), 403, "M_FORBIDDEN"],
    ["unknown user", () => login("nosuchuser", "x"), 403, "M_FORBIDDEN"],
    // Deactivation wipes the password: same 403 as a wrong password, not M_USER_DEACTIVATED.
    ["deactivated user", () => { const d = find((u) => u.deactivated); return login(d.localpart, passwordFor(d.localpart)); }, 403, "M_FORBIDDEN"],
    ["unknown login type", () => simFetch(sim, "/_matrix/client/v3/login", { token: null, body: { type: "m.login.bogus", identifier: { type: "m.id.user", user: "a" }, password: "x" } }), 400, "M_UNKNOWN"],
    ["body not JSON", () => simFetch(sim, "/_matrix/client/v3/login", { token: null, body: "not json" }), 400, "M_NOT_JSON"],
  ] as const)("%s → %i %s", async (_name, call, status, errcode) => {
    const r = await call();
    expect(r.status).toBe(status);
    expect(r.json.errcode).toBe(errcode);
  });
});

describe("tokens", () => {
  it("no token 401 M_MISSING_TOKEN, bad token 401 M_UNKNOWN_TOKEN (soft_logout false)", async () => {
    const none = await simFetch(sim, "/_matrix/client/v3/account/whoami", { token: null });
    expect([none.status, none.json.errcode]).toEqual([401, "M_MISSING_TOKEN"]);
    const bad = await simFetch(sim, "/_matrix/client/v3/account/whoami", { token: "nope" });
    expect(bad.json).toMatchObject({ errcode: "M_UNKNOWN_TOKEN", soft_logout: false });
    expect(bad.status).toBe(401);
  });

  it("access_token query parameter works", async () => {
    const r = await simFetch(sim, "/_matrix/client/v3/account/whoami", { token: null, query: { access_token: sim.adminToken } });
    expect(r.json.user_id).toBe("@admin:sim.test");
  });

  it("non-admin on the admin API → 403 'You are not a server admin'; server_version needs no token", async () => {
    const token = sim.tokenFor(ordinary().localpart);
    const r = await simFetch(sim, "/_synapse/admin/v2/users", { token });
    expect(r.json).toEqual({ errcode: "M_FORBIDDEN", error: "You are not a server admin" });
    expect((await simFetch(sim, "/_synapse/admin/v1/server_version", { token: null })).json).toEqual({ server_version: "1.132.0" });
  });

  it("logout revokes the token and deletes its device; logout/all revokes every token", async () => {
    const u = ordinary();
    const t1 = sim.tokenFor(u.localpart);
    const device = sim.state.tokens.get(t1)!.device_id!;
    expect((await simFetch(sim, "/_matrix/client/v3/logout", { token: t1, body: {} })).json).toEqual({});
    expect((await simFetch(sim, "/_matrix/client/v3/account/whoami", { token: t1 })).json.errcode).toBe("M_UNKNOWN_TOKEN");
    expect(sim.state.devices.get(u.name)!.has(device)).toBe(false);
    const [a, b] = [sim.tokenFor(u.localpart), sim.tokenFor(u.localpart)];
    await simFetch(sim, "/_matrix/client/v3/logout/all", { token: a, body: {} });
    expect((await simFetch(sim, "/_matrix/client/v3/account/whoami", { token: b })).status).toBe(401);
    expect(sim.state.devices.get(u.name)!.size).toBe(0);
  });

  it("a locked user's token is refused with 401 M_USER_LOCKED (whoami too, as recorded), except logout", async () => {
    const l = find((u) => u.locked);
    const token = sim.tokenFor(l.localpart);
    const r = await simFetch(sim, "/_synapse/admin/v1/whois/" + enc(l.name), { token });
    expect([r.status, r.json.errcode, r.json.soft_logout]).toEqual([401, "M_USER_LOCKED", true]);
    expect((await simFetch(sim, "/_matrix/client/v3/account/whoami", { token })).status).toBe(401);
    expect((await simFetch(sim, "/_matrix/client/v3/logout", { token, body: {} })).status).toBe(200);
  });
});

describe("conventions", () => {
  it("unknown /_matrix and /_synapse paths → JSON 404 M_UNRECOGNIZED without a token; others text/html", async () => {
    for (const p of ["/_matrix/client/v3/nope", "/_synapse/admin/v1/nope"]) {
      const r = await simFetch(sim, p, { token: null });
      expect([r.status, r.json.errcode]).toEqual([404, "M_UNRECOGNIZED"]);
    }
    const top = await simFetch(sim, "/nope", { token: null });
    expect(top.status).toBe(404);
    expect(top.headers.get("content-type")).toBe("text/html; charset=utf-8");
  });

  it("wrong method → 405 M_UNRECOGNIZED before auth", async () => {
    const r = await simFetch(sim, "/_synapse/admin/v2/users", { method: "POST", token: null, body: {} });
    expect([r.status, r.json.errcode]).toEqual([405, "M_UNRECOGNIZED"]);
  });

  it("sends Synapse's CORS headers and answers OPTIONS", async () => {
    const r = await simFetch(sim, "/_synapse/admin/v1/server_version", { token: null });
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    expect(r.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
    const pre = await fetch(`${sim.url}/_synapse/admin/v2/users`, { method: "OPTIONS" });
    expect(pre.status).toBe(204);
  });
});

describe("rc_login rate limits", () => {
  it("429 M_LIMIT_EXCEEDED with retry_after_ms and Retry-After (s) once the per-IP burst is used", async () => {
    const rl = await startSimulator({ users: 5, rateLimits: true, now: () => NOW });
    try {
      const statuses: number[] = [];
      let limited: SimResponse | undefined;
      for (let i = 0; i < 6; i++) {
        const r = await simFetch(rl, "/_matrix/client/v3/login", {
          token: null,
          body: { type: "m.login.password", identifier: { type: "m.id.user", user: "admin" }, password: "admin" },
        });
        statuses.push(r.status);
        if (r.status === 429) limited = r;
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      expect(limited!.json.errcode).toBe("M_LIMIT_EXCEEDED");
      const ms = limited!.json.retry_after_ms;
      expect(ms).toBeGreaterThan(0);
      expect(Number(limited!.headers.get("retry-after"))).toBe(Math.ceil(ms / 1000));
      // After waiting retry_after_ms on the simulator's clock, login works again.
      rl.clock.set(NOW + ms + 1);
      const ok = await simFetch(rl, "/_matrix/client/v3/login", {
        token: null,
        body: { type: "m.login.password", identifier: { type: "m.id.user", user: "admin" }, password: "admin" },
      });
      expect(ok.status).toBe(200);
    } finally {
      await rl.close();
    }
  });

  it("failed attempts: 3 wrong passwords, then 429 even with the right one; off by default", async () => {
    const rl = await startSimulator({ users: 5, now: () => NOW });
    try {
      const attempt = (password: string) =>
        simFetch(rl, "/_matrix/client/v3/login", { token: null, body: { type: "m.login.password", user: "admin", password } });
      for (let i = 0; i < 8; i++) expect((await attempt("wrong")).status).toBe(403);
      rl.setRateLimits(true);
      for (let i = 0; i < 3; i++) expect((await attempt("wrong")).status).toBe(403);
      const r = await attempt("admin");
      expect(r.status).toBe(429);
      expect(r.json.retry_after_ms).toBeGreaterThan(0);
    } finally {
      await rl.close();
    }
  });
});

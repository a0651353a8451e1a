/**
 * Issue 19, findings 2, 3, 5, 6 and 7, each performed as the attack it describes against the real server:
 * spoofed X-Forwarded-For behind TRUST_PROXY, oversized bodies (declared and chunked) with a memory bound, login
 * CSRF with `Origin: null`, caching of signed-in pages, and a constant CSRF token next to reflected input.
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { hitRateLimit, purgeRateLimits } from "../../app/services/auth/rate-limit.server";
import { TestClient } from "../helpers/http";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { startSimulator, type Simulator } from "../simulator/index";

let sim: Simulator;
let steward: TestSteward;

beforeAll(async () => {
  sim = await startSimulator({ users: 5, seed: 41 });
  // One proxy in front (the test connects from 127.0.0.1, playing it); no page cache, so every page is rendered.
  steward = await startTestSteward({ homeserverUrl: sim.url, env: { TRUST_PROXY: "1", PAGE_CACHE_SECONDS: "0" } });
});
afterAll(async () => {
  await steward?.close();
  await sim?.close();
});

describe("finding 2: X-Forwarded-For cannot dodge per-address limits", () => {
  it("rotating the client-written left end of X-Forwarded-For still meets a 429", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const c = new TestClient(steward.url);
      // What a proxy forwards: the client's spoofed value, then the address the proxy saw.
      const res = await c.postForm("/login", { mode: "token", accessToken: `syt_wrong_${i}` }, { "X-Forwarded-For": `10.9.9.${i}, 192.0.2.50` });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 400)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
  }, 120_000);

  it("purges spent rate-limit counters", async () => {
    const db = steward.database.db;
    const old = new Date(Date.now() - 2 * 86_400_000);
    await hitRateLimit(db, "login:ip:198.51.100.1", 10, 60_000, old);
    await hitRateLimit(db, "login:ip:198.51.100.2", 10, 60_000);
    expect(await purgeRateLimits(db)).toBeGreaterThanOrEqual(1);
    const keys = ((await db.execute(sql`select key from rate_limits`)) as unknown as { rows: { key: string }[] }).rows.map((r) => r.key);
    expect(keys).not.toContain("login:ip:198.51.100.1");
    expect(keys).toContain("login:ip:198.51.100.2");
  });
});

/** A raw POST whose body is written by `write`; resolves with the status (or "reset" when the socket closed first). */
function rawPost(path: string, headers: Record<string, string | number>, write: (req: http.ClientRequest) => void): Promise<number | "reset"> {
  return new Promise((resolve) => {
    const u = new URL(steward.url + path);
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: "POST", headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve("reset"));
    write(req);
  });
}

describe("finding 3: bodies over the limit are refused before anything parses them", () => {
  it("answers 413 to a declared 200 MB body at once, and to a chunked one after 64 KB, without holding it in memory", async () => {
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const declared = await rawPost("/register", { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": 200 * 1024 * 1024 }, (req) => {
      req.write("username=" + "a".repeat(1000));
    });
    expect(declared).toBe(413);
    const chunk = Buffer.alloc(256 * 1024, "a");
    const started = Date.now();
    const chunked = await rawPost("/login", { "Content-Type": "application/x-www-form-urlencoded", "Transfer-Encoding": "chunked" }, async (req) => {
      // Up to 50 MB, stopping when the server has answered or hung up.
      let sent = 0;
      const write = () => {
        while (sent < 50 * 1024 * 1024 && !req.destroyed) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", write);
        }
        if (!req.destroyed) req.end();
      };
      write();
    });
    expect([413, "reset"]).toContain(chunked);
    expect(Date.now() - started).toBeLessThan(20_000);
    // Neither body was kept: the process grew by far less than what was offered.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(40 * 1024 * 1024);
    // A form of normal size still goes through.
    const c = new TestClient(steward.url);
    expect((await c.signIn("admin", "admin")).status).toBe(302);
  }, 120_000);
});

describe("finding 5: login CSRF", () => {
  const attack = (path: string) =>
    fetch(steward.url + path, {
      method: "POST",
      redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "null" },
      body: new URLSearchParams({ mode: "token", accessToken: sim.adminToken }).toString(),
    });

  it("refuses Origin: null with a plain 403, with and without _data, and sets no session", async () => {
    for (const path of ["/login?_data=routes%2Flogin", "/login"]) {
      const res = await attack(path);
      expect(res.status).toBe(403);
      expect(res.headers.getSetCookie().some((c) => c.startsWith("steward_session="))).toBe(false);
    }
  });

  it("refuses a sign-in post without the sign-in form's token (another site's form), with 403", async () => {
    for (const path of ["/login?_data=routes%2Flogin", "/login"]) {
      const res = await fetch(steward.url + path, {
        method: "POST",
        redirect: "manual",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ mode: "token", accessToken: sim.adminToken }).toString(),
      });
      expect(res.status).toBe(403);
      expect(res.headers.getSetCookie().some((c) => c.startsWith("steward_session="))).toBe(false);
    }
  });
});

describe("findings 6 and 7: signed-in pages", () => {
  let c: TestClient;
  beforeAll(async () => {
    c = new TestClient(steward.url);
    expect((await c.signIn("admin", "admin")).status).toBe(302);
  });

  it("sends every signed-in document with Cache-Control: no-store", async () => {
    for (const path of ["/", "/users", "/users?q=abc", "/audit", "/tokens", "/security", "/federation"]) {
      const res = await c.get(path, { Accept: "text/html" });
      expect(res.status, path).toBe(200);
      expect(res.headers.get("cache-control"), path).toBe("no-store");
    }
  });

  it("masks the CSRF token per response, and each masked form works", async () => {
    const tokenOf = async (path: string) => /name="csrf" value="([^"]+)"/.exec(await (await c.get(path)).text())![1];
    const a = await tokenOf("/users?q=csrf");
    const b = await tokenOf("/users?q=csrf");
    expect(a).not.toBe(b);
    // Both unmask to the session's token: a refresh collector request with either is accepted.
    for (const token of [a, b]) {
      const res = await c.request("/api/collectors/user-counts", { method: "POST", headers: { "X-CSRF-Token": token, Accept: "application/json" } });
      expect(res.status, token).not.toBe(403);
    }
    const forged = await c.request("/api/collectors/user-counts", { method: "POST", headers: { "X-CSRF-Token": a.slice(0, -2) + "AA", Accept: "application/json" } });
    expect(forged.status).toBe(403);
  });
});

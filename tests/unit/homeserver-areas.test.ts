/** Area behaviour that the recordings do not cover: fallbacks, old-server shapes, request bodies. */
import { afterEach, describe, expect, it } from "vitest";
import { createHomeserverClient, type HomeserverClient } from "~/homeserver";
import { TOKEN, closedPortUrl, recordingSleep, startFake, type FakeServer, type Handler } from "./homeserver-fake";

let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function client(handler: Handler): Promise<{ hs: HomeserverClient; fake: FakeServer }> {
  fake = await startFake(handler);
  const hs = createHomeserverClient({ baseUrl: fake.url, accessToken: TOKEN, sleep: recordingSleep().sleep, maxRetries: 1 });
  return { hs, fake };
}

const unrecognized = { status: 404, json: { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" } };

// Synapse 1.94 on SQLite: 0/1 booleans, no locked/erased/last_seen_ts/approved.
const oldUser = {
  name: "@old:hs",
  user_type: null,
  is_guest: 0,
  admin: 1,
  deactivated: 0,
  shadow_banned: 0,
  displayname: null,
  avatar_url: null,
  creation_ts: 1600000000000,
  unknown_future_field: { x: 1 },
};

describe("users", () => {
  it("always sends guests=false, and falls back to v2 (translating deactivated) on old servers", async () => {
    const { hs, fake } = await client((req) =>
      req.path === "/_synapse/admin/v3/users" ? unrecognized : { json: { users: [oldUser], total: 1 } },
    );
    const page = await hs.users.list({ limit: 10 });
    expect(page.apiVersion).toBe("v2");
    expect(page.users[0]).toEqual({
      userId: "@old:hs",
      userType: null,
      isGuest: false,
      admin: true,
      deactivated: false,
      shadowBanned: false,
      displayname: null,
      avatarUrl: null,
      creationTs: 1600000000000,
      lastSeenTs: null,
      erased: false,
      locked: false,
      approved: true,
    });
    expect(fake.requests[0].url).toBe("/_synapse/admin/v3/users?limit=10&guests=false");
    // v3 "no filter" = v2 deactivated=true (include)
    expect(fake.requests[1].url).toBe("/_synapse/admin/v2/users?limit=10&guests=false&deactivated=true");
    // learned: the next call goes straight to v2; v3 deactivated=false = v2 default (exclude)
    await hs.users.count({ deactivated: false });
    expect(fake.requests[2].url).toBe("/_synapse/admin/v2/users?limit=1&guests=false");
    await expect(hs.users.list({ deactivated: true })).rejects.toMatchObject({ kind: "unrecognized" });
  });

  it("guests can be asked for explicitly", async () => {
    const { hs, fake } = await client(() => ({ json: { users: [], total: 0 } }));
    await hs.users.list({ guests: true, locked: true, orderBy: "creation_ts", dir: "b" });
    expect(fake.requests[0].url).toBe("/_synapse/admin/v3/users?guests=true&locked=true&order_by=creation_ts&dir=b");
  });

  it("iterateAll follows next_token and survives the limit=0 trap", async () => {
    const { hs, fake } = await client((req) => {
      const from = Number(req.query.get("from") ?? 0);
      const limit = Number(req.query.get("limit"));
      const users = Array.from({ length: Math.max(0, Math.min(limit, 5 - from)) }, () => oldUser);
      return { json: { users, total: 5, ...(from + limit < 5 ? { next_token: String(from + limit) } : {}) } };
    });
    let n = 0;
    for await (const p of hs.users.iterateAll({}, { limit: 2 })) n += p.users.length;
    expect(n).toBe(5);
    expect(fake.requests.map((r) => r.query.get("from"))).toEqual(["0", "2", "4"]);
    let m = 0;
    for await (const p of hs.users.iterateAll({}, { limit: 0 })) m += p.users.length;
    expect(m).toBe(5);
  });

  it("get normalises creation_ts from seconds; loginAs sends valid_until_ms", async () => {
    const { hs, fake } = await client((req) =>
      req.method === "POST"
        ? { json: { access_token: "impersonation-token" } }
        : { json: { ...oldUser, creation_ts: 1600000000, suspended: 0, threepids: [], external_ids: [] } },
    );
    expect((await hs.users.get("@a/b:c")).creationTs).toBe(1600000000000);
    expect(fake.requests[0].url).toBe("/_synapse/admin/v2/users/%40a%2Fb%3Ac");
    expect(await hs.users.loginAs("@old:hs", 1234)).toEqual({ accessToken: "impersonation-token" });
    expect(fake.requests[1].body).toEqual({ valid_until_ms: 1234 });
  });
});

describe("federation", () => {
  it("pre-1.98 null retry fields are 0", async () => {
    const { hs } = await client(() => ({
      json: {
        destinations: [{ destination: "old.example", retry_last_ts: null, retry_interval: null, failure_ts: null, last_successful_stream_ordering: null }],
        total: 1,
      },
    }));
    const page = await hs.federation.listDestinations();
    expect(page.destinations[0]).toMatchObject({ retryLastTs: 0, retryInterval: 0, failureTs: null });
    expect(page.nextToken).toBeUndefined();
  });
});

describe("tokens", () => {
  it("update: null clears, undefined leaves unchanged; token path is encoded", async () => {
    const t = { token: "a~b.c", uses_allowed: null, pending: 0, completed: 0, expiry_time: null };
    const { hs, fake } = await client(() => ({ json: t }));
    await hs.tokens.update("a~b.c", { usesAllowed: null });
    await hs.tokens.update("a/b", { expiryTime: 5 });
    expect(fake.requests[0].body).toEqual({ uses_allowed: null });
    expect(fake.requests[1].body).toEqual({ expiry_time: 5 });
    expect(fake.requests[1].url).toBe("/_synapse/admin/v1/registration_tokens/a%2Fb");
  });

  it("create is not retried on a 5xx (it could create two tokens)", async () => {
    const { hs, fake } = await client(() => ({ status: 503, text: "Service Unavailable" }));
    await expect(hs.tokens.create({ length: 8 })).rejects.toMatchObject({ kind: "server_error" });
    expect(fake.requests).toHaveLength(1);
  });
});

describe("register", () => {
  it("validity falls back to the MSC3231 path on 404 M_UNRECOGNIZED", async () => {
    const { hs, fake } = await client((req) => (req.path.startsWith("/_matrix/client/v1/") ? unrecognized : { json: { valid: true } }));
    expect(await hs.register.tokenValidity("tok")).toBe(true);
    expect(fake.requests[1].path).toBe(
      "/_matrix/client/unstable/org.matrix.msc3231/register/org.matrix.msc3231.login.registration_token/validity",
    );
    expect(fake.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  it("a finished registration returns done; 403 (registration off) and 429 throw", async () => {
    const { hs } = await client((req) => {
      const u = (req.body as { username: string }).username;
      if (u === "off") return { status: 403, json: { errcode: "M_FORBIDDEN", error: "Registration has been disabled" } };
      if (u === "busy") return { status: 429, json: { errcode: "M_LIMIT_EXCEEDED", retry_after_ms: 600_000 } };
      return { json: { user_id: "@new:hs", access_token: "new-token", device_id: "DEV" } };
    });
    expect(await hs.register.registerStep({ username: "new", password: "pw", auth: { type: "m.login.dummy", session: "s" } })).toEqual({
      done: true,
      userId: "@new:hs",
      accessToken: "new-token",
      deviceId: "DEV",
    });
    await expect(hs.register.registerStep({ username: "off" })).rejects.toMatchObject({ kind: "forbidden" });
    await expect(hs.register.registerStep({ username: "busy" })).rejects.toMatchObject({ kind: "rate_limited", retryAfterMs: 600_000 });
  });
});

describe("keys, notices", () => {
  it("roomKeysVersion: 404 M_NOT_FOUND → null", async () => {
    const { hs } = await client(() => ({ status: 404, json: { errcode: "M_NOT_FOUND", error: "No backup found" } }));
    expect(await hs.keys.roomKeysVersion()).toBeNull();
  });

  it("keys.query sends timeout in the query string and all-devices lists", async () => {
    const { hs, fake } = await client(() => ({ json: { device_keys: { "@a:hs": {} } } }));
    const r = await hs.keys.query(["@a:hs"], { timeoutMs: 3000 });
    expect(r).toEqual({ deviceKeys: { "@a:hs": {} }, masterKeys: {}, selfSigningKeys: {}, userSigningKeys: {}, failures: {} });
    expect(fake.requests[0].url).toBe("/_matrix/client/v3/keys/query?timeout=3000");
    expect(fake.requests[0].body).toEqual({ device_keys: { "@a:hs": [] } });
  });

  it("notices use PUT with an encoded txnId and are retried on 5xx (idempotent)", async () => {
    const { hs, fake } = await client((_, i) => (i === 0 ? { status: 502, text: "bad gateway" } : { json: { event_id: "$e" } }));
    expect(await hs.notices.send("@u:hs", { msgtype: "m.text", body: "hi" }, "txn/1")).toEqual({ eventId: "$e" });
    expect(fake.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "PUT /_synapse/admin/v1/send_server_notice/txn%2F1",
      "PUT /_synapse/admin/v1/send_server_notice/txn%2F1",
    ]);
    expect(fake.requests[1].body).toEqual({ user_id: "@u:hs", content: { msgtype: "m.text", body: "hi" } });
  });
});

describe("discovery", () => {
  it("reports ok, absent, not JSON and invalid as data, never with the token", async () => {
    const { hs, fake } = await client((req) => {
      if (req.path === "/.well-known/matrix/client") return { text: "<html>home page</html>", headers: { "content-type": "text/html" } };
      if (req.path === "/.well-known/matrix/server") return { json: { "m.server": 5 } };
      return { status: 404, text: "404. Is anything ever truly *well* known?\n", headers: { "content-type": "text/plain" } };
    });
    expect(await hs.discovery.wellKnownClient(fake.url)).toMatchObject({ outcome: "not_json", httpStatus: 200, contentType: "text/html" });
    expect(await hs.discovery.wellKnownServer(fake.url)).toMatchObject({ outcome: "invalid" });
    expect(await hs.discovery.serverKeys(fake.url)).toMatchObject({ outcome: "absent", httpStatus: 404 });
    expect(fake.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  it("unreachable is an error outcome; bad server names are refused before any request", async () => {
    const { hs } = await client(() => ({ json: {} }));
    const r = await hs.discovery.wellKnownServer(await closedPortUrl());
    expect(r.outcome === "error" && r.error.kind).toBe("unreachable");
    await expect(hs.discovery.wellKnownClient("evil.example/path?x")).rejects.toThrow(/server name/);
  });
});

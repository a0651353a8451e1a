/**
 * Shared pieces for the property-based tests of the homeserver client: an injected fetch that answers with
 * generated (often hostile) HTTP replies, arbitraries for those replies, and the list of every client call with a
 * valid sample body and a validator of its documented result type.
 */
import fc from "fast-check";
import { z } from "zod";
import { createHomeserverClient, type HomeserverClient } from "~/homeserver";

export const BASE = "https://hs.example.org";
export const TOKEN = "syt_YWRtaW4_SECRETtokenVALUE_0a1b2c";

// ---------------------------------------------------------------------------------------------------------------
// Replies and the fake fetch

export type Reply =
  | { kind: "http"; status: number; headers: Record<string, string>; body: string }
  /** fetch itself rejects (DNS, refused, reset, abort...) with this value. */
  | { kind: "reject"; error: unknown }
  /** Headers arrive, then the body stream breaks. */
  | { kind: "broken-body"; status: number; message: string };

export interface FakeFetch {
  fetch: typeof fetch;
  urls: string[];
  inits: RequestInit[];
}

const NULL_BODY = new Set([101, 204, 205, 304]);

function toResponse(r: Extract<Reply, { kind: "http" | "broken-body" }>): Response {
  if (r.kind === "broken-body") {
    const stream = new ReadableStream({ pull: (c) => c.error(new Error(r.message)) });
    return new Response(stream, { status: r.status });
  }
  return new Response(NULL_BODY.has(r.status) ? null : r.body, { status: r.status, headers: r.headers });
}

/** Answers the n-th request with replies[n % length]; records what was asked. */
export function fakeFetch(replies: readonly Reply[]): FakeFetch {
  const urls: string[] = [];
  const inits: RequestInit[] = [];
  const f = async (input: string | URL | Request, init?: RequestInit) => {
    urls.push(String(input));
    inits.push(init ?? {});
    const r = replies[(urls.length - 1) % replies.length];
    if (r.kind === "reject") throw r.error;
    return toResponse(r);
  };
  return { fetch: f as typeof fetch, urls, inits };
}

export function clientWith(replies: readonly Reply[], token: string | undefined = TOKEN): { hs: HomeserverClient; fake: FakeFetch } {
  const fake = fakeFetch(replies);
  const hs = createHomeserverClient({
    baseUrl: BASE,
    accessToken: token,
    fetch: fake.fetch,
    sleep: async () => {}, // retries never wait
    maxRetryWaitMs: 60_000,
  });
  return { hs, fake };
}

// ---------------------------------------------------------------------------------------------------------------
// Hostile values

const RAW = "\u0000raw:"; // marker for number literals JSON.stringify cannot produce (-0, 1e400, ...)

/** Numbers written as raw JSON text, so the parser sees exactly this (overflow to Infinity, -0, precision loss). */
export const RAW_NUMBERS = ["-0", "1e308", "-1e308", "1e400", "-1e400", "9007199254740993", "1.5", "-1", "0.000001", "1e-400", "123456789012345678901234567890"];

export const HOSTILE_STRINGS = [
  "",
  " ",
  "<script>alert(1)</script>",
  "<img src=x onerror=alert(1)>",
  "\u202Eevil\u202C",
  "\u200F\u200E\u2066x\u2069",
  "x".repeat(10_000),
  "\uD800",
  "a\uDFFFb",
  "\u0000\u0007\r\n",
  "NaN",
  "Infinity",
  "-1",
  "1e999",
  "../../etc/passwd",
  "@user:hs/../admin",
  "=HYPERLINK(\"http://evil\")",
  "𝕳𝖊𝖑𝖑𝖔 👩‍👩‍👧",
  TOKEN,
  `Bearer ${TOKEN}`,
];

export const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
);

/** Any JSON leaf, biased to values that break naive parsers. */
export const hostileLeaf: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom<unknown>(null, true, false, 0, 1, -1, 0.5, 2 ** 53, -(2 ** 31), {}, [], [null], { x: null }),
  fc.constantFrom(...RAW_NUMBERS).map((n) => `${RAW}${n}`),
  fc.double(),
  fc.integer(),
);

/** Keep the shape of `sample` but replace some leaves (and sometimes whole sub-objects) by hostile values. */
export function hostileVariant(sample: unknown, depth = 0): fc.Arbitrary<unknown> {
  const replaced = depth === 0 ? fc.constant(sample) : hostileLeaf;
  if (Array.isArray(sample)) {
    const items = sample.map((s) => hostileVariant(s, depth + 1));
    const arr = items.length ? fc.tuple(...items).chain((xs) => fc.constantFrom(xs, [...xs, ...xs], [])) : fc.constant([]);
    return fc.oneof({ weight: 5, arbitrary: arr }, { weight: 1, arbitrary: replaced });
  }
  if (sample !== null && typeof sample === "object") {
    const keys = Object.keys(sample);
    const rec: Record<string, fc.Arbitrary<unknown>> = {};
    for (const k of keys) rec[k] = hostileVariant((sample as Record<string, unknown>)[k], depth + 1);
    const obj = fc.record(rec, { requiredKeys: [] }).chain((o) =>
      // Sometimes add keys: a future field, or a key that is itself hostile.
      fc.constantFrom(o, { ...o, future_field: { nested: [1] } }, { ...o, [TOKEN]: 1 }, { ...o, ["\u202E"]: "x" }),
    );
    return fc.oneof({ weight: 6, arbitrary: obj }, { weight: 1, arbitrary: replaced });
  }
  return fc.oneof({ weight: 2, arbitrary: fc.constant(sample) }, { weight: 3, arbitrary: hostileLeaf });
}

/** JSON text with the raw-number markers expanded. */
export function toJsonText(value: unknown): string {
  const text = JSON.stringify(value) ?? "";
  return text.replace(/"\\u0000raw:([^"]*)"/g, (_, n: string) => n);
}

/** A body for a sample: well-formed, hostile-shaped, arbitrary JSON, truncated, non-JSON or empty. */
export function bodyFor(samples: readonly unknown[]): fc.Arbitrary<string> {
  const sample = fc.constantFrom(...samples);
  return fc.oneof(
    { weight: 2, arbitrary: sample.map((s) => JSON.stringify(s)) },
    { weight: 6, arbitrary: sample.chain((s) => hostileVariant(s)).map(toJsonText) },
    { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }).map((v) => { try { return JSON.stringify(v) ?? ""; } catch { return ""; } }) },
    { weight: 1, arbitrary: sample.chain((s) => { const t = JSON.stringify(s); return fc.nat(Math.max(0, t.length - 1)).map((n) => t.slice(0, n)); }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "",
        "null",
        "<html><body>502 Bad Gateway</body></html>",
        "\uFEFF{}",
        "{\"errcode\":",
        "[1,2",
        `{"errcode":"M_UNKNOWN_TOKEN","error":"token ${TOKEN} unknown"}`,
        "1e400",
      ),
    },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 60 }) },
  );
}

const STATUSES = [200, 200, 200, 201, 204, 301, 302, 307, 308, 400, 401, 403, 404, 405, 409, 413, 429, 500, 502, 503, 504];

const CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "text/plain", "text/html", "application/octet-stream", "", "x/y; a=\"b\""];

const RETRY_AFTERS = ["0", "1", "0.5", "-1", "1e308", "99999999999999999999", "NaN", "Infinity", "Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "soon", ""];

const LOCATIONS = [
  "/",
  "https://other.example/x",
  "//evil.example/",
  "http://[",
  "http://a b/",
  "https://u:p@evil.example/?access_token=abc",
  `https://evil.example/${TOKEN}`,
  `/?access_token=${TOKEN}`,
  `/?token=${TOKEN}#${TOKEN}`,
  `https://admin:${TOKEN}@evil.example/`,
  "javascript:alert(1)",
];

const matrixErrorBody = fc
  .record(
    {
      errcode: fc.oneof(
        fc.constantFrom("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN", "M_FORBIDDEN", "M_NOT_FOUND", "M_UNRECOGNIZED", "M_LIMIT_EXCEEDED", "M_INVALID_PARAM", "M_USER_IN_USE", "M_INVALID_USERNAME", "M_EXCLUSIVE", "M_USER_LOCKED", "M_UNKNOWN", TOKEN),
        hostileLeaf,
      ),
      error: hostileLeaf,
      retry_after_ms: hostileLeaf,
      session: fc.constantFrom("sess", TOKEN, 1),
      flows: fc.constantFrom([{ stages: ["m.login.registration_token"] }], [{ stages: [TOKEN] }], null, "x"),
      access_token: fc.constant(TOKEN),
      deep: fc.constant(JSON.parse(`${"[".repeat(12)}"${TOKEN}"${"]".repeat(12)}`) as unknown),
    },
    { requiredKeys: ["errcode"] },
  )
  .map(toJsonText);

export function replyFor(samples: readonly unknown[]): fc.Arbitrary<Reply> {
  const headers = fc
    .record(
      {
        "content-type": fc.constantFrom(...CONTENT_TYPES),
        "retry-after": fc.constantFrom(...RETRY_AFTERS),
        location: fc.constantFrom(...LOCATIONS),
        "www-authenticate": fc.constant(`Bearer error="invalid_token" token="${TOKEN}"`),
        "x-echo": fc.constant(TOKEN),
      },
      { requiredKeys: [] },
    )
    .map((h) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== "")));
  const status = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...STATUSES) }, { weight: 1, arbitrary: fc.integer({ min: 200, max: 599 }) });
  const http = fc.record({
    kind: fc.constant("http" as const),
    status,
    headers,
    body: fc.oneof({ weight: 3, arbitrary: bodyFor(samples) }, { weight: 1, arbitrary: matrixErrorBody }),
  });
  const rejection = fc
    .constantFrom<() => unknown>(
      () => new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) }),
      () => new TypeError("fetch failed", { cause: new AggregateError([Object.assign(new Error("x"), { code: "ENOTFOUND" })]) }),
      () => new DOMException("This operation was aborted", "AbortError"),
      () => new Error(`socket hang up while sending Bearer ${TOKEN}`),
      () => "a string",
      () => null,
      () => undefined,
      () => ({ code: 42, message: { not: "a string" } }),
      () => Object.create(null) as object,
    )
    .map((make) => ({ kind: "reject" as const, error: make() }));
  const broken = fc.record({
    kind: fc.constant("broken-body" as const),
    status: fc.constantFrom(200, 401, 500),
    message: fc.constantFrom("terminated", `reset ${TOKEN}`),
  });
  return fc.oneof({ weight: 12, arbitrary: http }, { weight: 1, arbitrary: rejection }, { weight: 1, arbitrary: broken });
}

/** Several replies: retries and fallbacks each get the next one. */
export const repliesFor = (samples: readonly unknown[]) => fc.array(replyFor(samples), { minLength: 1, maxLength: 5 });

// ---------------------------------------------------------------------------------------------------------------
// Documented result types

const str = z.string();
const nstr = z.string().nullable();
const num = z.number().finite();
/** A millisecond timestamp that `new Date()` can represent. */
const ms = z.number().finite().min(-8.64e15).max(8.64e15);
const nms = ms.nullable();
const bool = z.boolean();

const userSummary = z
  .object({
    userId: str, userType: nstr, isGuest: bool, admin: bool, deactivated: bool, shadowBanned: bool, displayname: nstr,
    avatarUrl: nstr, creationTs: nms, lastSeenTs: nms, erased: bool, locked: bool, approved: bool,
  })
  .strict();
const pageFields = { total: num, nextToken: str.optional() };
const userDetails = userSummary
  .omit({ approved: true })
  .extend({
    suspended: bool,
    appserviceId: nstr,
    threepids: z.array(z.object({ medium: str, address: str, addedAt: nms, validatedAt: nms }).strict()),
    externalIds: z.array(z.object({ authProvider: str, externalId: str }).strict()),
    consentVersion: nstr,
    consentTs: nms,
    consentServerNoticeSent: nstr,
  })
  .strict();
const availability = z.union([
  z.object({ available: z.literal(true) }).strict(),
  z.object({ available: z.literal(false), reason: z.enum(["in_use", "invalid_username", "exclusive"]), serverMessage: nstr }).strict(),
]);
const device = z
  .object({ deviceId: str, userId: str, displayName: nstr, lastSeenIp: nstr, lastSeenTs: nms, lastSeenUserAgent: nstr, dehydrated: bool })
  .strict();
const regToken = z.object({ token: str, usesAllowed: num.nullable(), pending: num, completed: num, expiryTime: nms }).strict();
const destination = z
  .object({ destination: str, retryLastTs: ms, retryInterval: num, failureTs: nms, lastSuccessfulStreamOrdering: num.nullable() })
  .strict();
const record = z.record(z.unknown());
const crossSigning = z.object({ user_id: str, usage: z.array(str), keys: z.record(str) }).passthrough();
const keysResult = z
  .object({
    deviceKeys: z.record(z.record(z.object({ user_id: str, device_id: str, algorithms: z.array(str), keys: z.record(str), signatures: z.record(z.record(str)) }).passthrough())),
    masterKeys: z.record(crossSigning),
    selfSigningKeys: z.record(crossSigning),
    userSigningKeys: z.record(crossSigning),
    failures: z.record(z.object({ status: num.optional(), errcode: str.optional(), message: str.optional() }).passthrough()),
  })
  .strict();
const probe = (value: z.ZodTypeAny) =>
  z.union([
    z.object({ outcome: z.literal("ok"), url: str, value }).strict(),
    z.object({ outcome: z.literal("absent"), url: str, httpStatus: num }).strict(),
    z.object({ outcome: z.literal("not_json"), url: str, httpStatus: num, contentType: str.optional() }).strict(),
    z.object({ outcome: z.literal("invalid"), url: str, detail: str }).strict(),
    z.object({ outcome: z.literal("error"), url: str, error: z.custom((e) => e instanceof Error && (e as { name?: string }).name === "HomeserverError") }).strict(),
  ]);

// ---------------------------------------------------------------------------------------------------------------
// Every client call, with valid sample bodies and the documented result type

export interface ApiCase {
  name: string;
  call: (hs: HomeserverClient) => Promise<unknown>;
  samples: unknown[];
  result: z.ZodTypeAny;
}

const user = {
  name: "@alice:hs.example.org", user_type: null, is_guest: false, admin: false, deactivated: false, shadow_banned: false,
  displayname: "Alice", avatar_url: "mxc://hs/abc", creation_ts: 1_700_000_000_000, last_seen_ts: 1_700_000_100_000,
  erased: false, locked: false, approved: true,
};
const userGet = {
  ...user, creation_ts: 1_700_000_000, suspended: false, appservice_id: null,
  threepids: [{ medium: "email", address: "a@example.org", added_at: 1_700_000_000_000, validated_at: 1_700_000_000_000 }],
  external_ids: [{ auth_provider: "oidc", external_id: "a1" }], consent_version: "1.0", consent_ts: 1_700_000_000_000,
  consent_server_notice_sent: null,
};
const dev = {
  device_id: "ABCDEF", user_id: "@alice:hs.example.org", display_name: "Phone", last_seen_ip: "203.0.113.9",
  last_seen_ts: 1_700_000_000_000, last_seen_user_agent: "Element", dehydrated: false,
};
const tok = { token: "abcd", uses_allowed: 5, pending: 1, completed: 2, expiry_time: 1_900_000_000_000 };
const dest = { destination: "remote.example", retry_last_ts: 1_700_000_000_000, retry_interval: 60_000, failure_ts: 1_699_000_000_000, last_successful_stream_ordering: 42 };
const keyObj = { user_id: "@alice:hs.example.org", usage: ["master"], keys: { "ed25519:K": "base64" }, signatures: { "@alice:hs.example.org": { "ed25519:D": "sig" } } };
const deviceKeyObj = {
  user_id: "@alice:hs.example.org", device_id: "ABCDEF", algorithms: ["m.olm.v1.curve25519-aes-sha2"],
  keys: { "ed25519:ABCDEF": "k" }, signatures: { "@alice:hs.example.org": { "ed25519:ABCDEF": "s" } }, unsigned: { device_display_name: "Phone" },
};
const uia = { session: "sess", flows: [{ stages: ["m.login.registration_token", "m.login.dummy"] }], completed: [], params: {}, errcode: "M_UNAUTHORIZED", error: "Invalid token" };

export const API_CASES: ApiCase[] = [
  { name: "auth.loginFlows", call: (hs) => hs.auth.loginFlows(), samples: [{ flows: [{ type: "m.login.password" }, { type: "m.login.token", get_login_token: true }] }], result: z.array(z.object({ type: str }).passthrough()) },
  {
    name: "auth.loginWithPassword",
    call: (hs) => hs.auth.loginWithPassword("admin", "pw"),
    samples: [{ user_id: "@admin:hs", access_token: TOKEN, device_id: "D", expires_in_ms: 60_000, refresh_token: "r" }, { user_id: "@admin:hs", access_token: "t", device_id: "D" }],
    result: z.object({ userId: str, accessToken: str, deviceId: str, expiresInMs: num.nullable(), refreshToken: nstr }).strict(),
  },
  { name: "auth.whoami", call: (hs) => hs.auth.whoami(), samples: [{ user_id: "@admin:hs", is_guest: false, device_id: "D" }], result: z.object({ userId: str, isGuest: bool, deviceId: str.optional() }).strict() },
  { name: "auth.logout", call: (hs) => hs.auth.logout(), samples: [{}], result: z.undefined() },
  { name: "server.serverVersion", call: (hs) => hs.server.serverVersion(), samples: [{ server_version: "1.132.0" }], result: z.object({ serverVersion: str }).strict() },
  { name: "server.federationVersion", call: (hs) => hs.server.federationVersion(), samples: [{ server: { name: "Synapse", version: "1.132.0" } }], result: z.object({ name: str, version: str }).strict() },
  { name: "server.clientVersions", call: (hs) => hs.server.clientVersions(), samples: [{ versions: ["v1.11"], unstable_features: { "org.matrix.msc3916": true } }], result: z.object({ versions: z.array(str), unstableFeatures: z.record(bool) }).strict() },
  { name: "server.roomCount", call: (hs) => hs.server.roomCount(), samples: [{ rooms: [], offset: 0, total_rooms: 12 }], result: num },
  {
    name: "server.userMediaStatistics",
    call: (hs) => hs.server.userMediaStatistics({ limit: 10 }),
    samples: [{ users: [{ user_id: "@a:hs", displayname: "A", media_count: 3, media_length: 1024 }], total: 1, next_token: 10 }],
    result: z.object({ users: z.array(z.object({ userId: str, displayname: nstr, mediaCount: num, mediaLength: num }).strict()), ...pageFields }).strict(),
  },
  { name: "server.databaseRoomStatistics", call: (hs) => hs.server.databaseRoomStatistics(), samples: [{ rooms: [{ room_id: "!r:hs", estimated_size: 8192 }] }], result: z.array(z.object({ roomId: str, estimatedSize: num }).strict()) },
  {
    name: "users.list",
    call: (hs) => hs.users.list({ limit: 5 }),
    samples: [{ users: [user], total: 1, next_token: "5" }, { users: [], total: 0 }],
    result: z.object({ users: z.array(userSummary), ...pageFields, apiVersion: z.enum(["v2", "v3"]) }).strict(),
  },
  { name: "users.count", call: (hs) => hs.users.count({ deactivated: true }), samples: [{ users: [user], total: 7 }], result: num },
  {
    name: "users.iterateAll",
    call: async (hs) => {
      const out = [];
      for await (const p of hs.users.iterateAll({}, { limit: 2, maxPages: 4 })) out.push(p);
      return out;
    },
    samples: [{ users: [user, user], total: 4, next_token: "2" }, { users: [user], total: 4, next_token: "0" }],
    result: z.array(z.object({ users: z.array(userSummary), ...pageFields, apiVersion: z.enum(["v2", "v3"]) }).strict()),
  },
  { name: "users.get", call: (hs) => hs.users.get("@alice:hs.example.org"), samples: [userGet], result: userDetails },
  { name: "users.isAdmin", call: (hs) => hs.users.isAdmin("@alice:hs.example.org"), samples: [{ admin: true }, { admin: 0 }], result: bool },
  {
    name: "users.whois",
    call: (hs) => hs.users.whois("@alice:hs.example.org"),
    samples: [{ user_id: "@alice:hs.example.org", devices: { "": { sessions: [{ connections: [{ ip: "203.0.113.9", last_seen: 1_700_000_000_000, user_agent: "curl" }] }] } } }],
    result: z.object({ userId: str, connections: z.array(z.object({ ip: nstr, lastSeen: nms, userAgent: nstr }).strict()) }).strict(),
  },
  { name: "users.usernameAvailable", call: (hs) => hs.users.usernameAvailable("alice"), samples: [{ available: true }], result: availability },
  { name: "users.loginAs", call: (hs) => hs.users.loginAs("@alice:hs.example.org", 1_900_000_000_000), samples: [{ access_token: "user-token" }], result: z.object({ accessToken: str }).strict() },
  { name: "devices.list", call: (hs) => hs.devices.list("@alice:hs.example.org"), samples: [{ devices: [dev], total: 1 }], result: z.object({ devices: z.array(device), total: num }).strict() },
  { name: "devices.get", call: (hs) => hs.devices.get("@alice:hs.example.org", "ABCDEF"), samples: [dev], result: device },
  { name: "tokens.list", call: (hs) => hs.tokens.list({ valid: true }), samples: [{ registration_tokens: [tok, { ...tok, uses_allowed: null, expiry_time: null }] }], result: z.array(regToken) },
  { name: "tokens.get", call: (hs) => hs.tokens.get("abcd"), samples: [tok], result: regToken },
  { name: "tokens.create", call: (hs) => hs.tokens.create({ length: 16, usesAllowed: 3 }), samples: [tok], result: regToken },
  { name: "tokens.update", call: (hs) => hs.tokens.update("abcd", { expiryTime: null }), samples: [tok], result: regToken },
  { name: "tokens.delete", call: (hs) => hs.tokens.delete("abcd"), samples: [{}], result: z.undefined() },
  { name: "register.tokenValidity", call: (hs) => hs.register.tokenValidity("abcd"), samples: [{ valid: true }, { valid: false }], result: bool },
  { name: "register.usernameAvailable", call: (hs) => hs.register.usernameAvailable("alice"), samples: [{ available: true }], result: availability },
  {
    name: "register.registerStep",
    call: (hs) => hs.register.registerStep({ username: "alice", password: "pw", auth: { type: "m.login.registration_token", token: "abcd", session: "sess" } }),
    samples: [{ user_id: "@alice:hs", access_token: "t", device_id: "D" }, uia],
    result: z.union([
      z.object({ done: z.literal(true), userId: str, accessToken: nstr, deviceId: nstr }).strict(),
      z
        .object({
          done: z.literal(false), session: str, flows: z.array(z.object({ stages: z.array(str) }).strict()), completed: z.array(str), params: record,
          error: z.object({ errcode: nstr, message: nstr }).strict().optional(),
        })
        .strict(),
    ]),
  },
  {
    name: "federation.listDestinations",
    call: (hs) => hs.federation.listDestinations({ limit: 10 }),
    samples: [{ destinations: [dest, { ...dest, retry_last_ts: null, retry_interval: null, failure_ts: null }], total: 2, next_token: "10" }],
    result: z.object({ destinations: z.array(destination), ...pageFields }).strict(),
  },
  {
    name: "federation.iterateDestinations",
    call: async (hs) => {
      const out = [];
      for await (const p of hs.federation.iterateDestinations({}, { limit: 1, maxPages: 4 })) out.push(p);
      return out;
    },
    samples: [{ destinations: [dest], total: 3, next_token: "1" }, { destinations: [dest], total: 3, next_token: "2" }],
    result: z.array(z.object({ destinations: z.array(destination), ...pageFields }).strict()),
  },
  { name: "federation.getDestination", call: (hs) => hs.federation.getDestination("remote.example"), samples: [dest], result: destination },
  {
    name: "federation.destinationRooms",
    call: (hs) => hs.federation.destinationRooms("remote.example", { limit: 10 }),
    samples: [{ rooms: [{ room_id: "!r:remote", stream_ordering: 7 }], total: 1 }],
    result: z.object({ rooms: z.array(z.object({ roomId: str, streamOrdering: num }).strict()), ...pageFields }).strict(),
  },
  { name: "federation.resetConnection", call: (hs) => hs.federation.resetConnection("remote.example"), samples: [{}], result: z.undefined() },
  {
    name: "keys.query",
    call: (hs) => hs.keys.query(["@alice:hs.example.org"], { timeoutMs: 1000 }),
    samples: [
      {
        device_keys: { "@alice:hs.example.org": { ABCDEF: deviceKeyObj } },
        master_keys: { "@alice:hs.example.org": keyObj },
        self_signing_keys: { "@alice:hs.example.org": { ...keyObj, usage: ["self_signing"] } },
        user_signing_keys: {},
        failures: { "remote.example": { status: 503, message: "down" } },
      },
    ],
    result: keysResult,
  },
  {
    name: "keys.roomKeysVersion",
    call: (hs) => hs.keys.roomKeysVersion(),
    samples: [{ algorithm: "m.megolm_backup.v1.curve25519-aes-sha2", auth_data: { public_key: "k" }, count: 3, etag: "1", version: "1" }],
    result: z.object({ algorithm: str, authData: record, count: num, etag: str, version: str }).strict().nullable(),
  },
  {
    name: "accountData.get",
    call: (hs) => hs.accountData.get("@alice:hs.example.org"),
    samples: [{ account_data: { global: { "m.push_rules": { global: {} } }, rooms: { "!r:hs": { "m.fully_read": { event_id: "$e" } } } } }],
    result: z.object({ global: record, rooms: z.record(record) }).strict(),
  },
  { name: "notices.send", call: (hs) => hs.notices.send("@alice:hs.example.org", { msgtype: "m.text", body: "hi" }, "txn-1"), samples: [{ event_id: "$ev" }], result: z.object({ eventId: str }).strict() },
  {
    name: "discovery.wellKnownClient",
    call: (hs) => hs.discovery.wellKnownClient("hs.example.org"),
    samples: [{ "m.homeserver": { base_url: "https://matrix.hs.example.org" }, "m.identity_server": { base_url: "https://id.example" } }],
    result: probe(z.object({ homeserverBaseUrl: str, identityServerBaseUrl: nstr, raw: record }).strict()),
  },
  { name: "discovery.wellKnownServer", call: (hs) => hs.discovery.wellKnownServer("hs.example.org"), samples: [{ "m.server": "matrix.hs.example.org:443" }], result: probe(z.object({ server: str }).strict()) },
  {
    name: "discovery.serverKeys",
    call: (hs) => hs.discovery.serverKeys("https://matrix.hs.example.org"),
    samples: [{ server_name: "hs.example.org", verify_keys: { "ed25519:a": { key: "k" } }, old_verify_keys: { "ed25519:o": { key: "o", expired_ts: 1_600_000_000_000 } }, valid_until_ts: 1_900_000_000_000, signatures: { "hs.example.org": { "ed25519:a": "s" } } }],
    result: probe(
      z
        .object({ serverName: str, verifyKeys: z.record(str), oldVerifyKeys: z.record(z.object({ key: str, expiredTs: nms }).strict()), validUntilTs: ms, signatures: z.record(z.record(str)), raw: record })
        .strict(),
    ),
  },
];

// ---------------------------------------------------------------------------------------------------------------

/** Runs `p`, failing loudly instead of hanging when it does not settle in time. */
export async function settle<T>(p: Promise<T>, ms = 5_000): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
  });
  try {
    return { ok: true, value: await Promise.race([p, hang]) };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("did not settle")) throw error;
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}

/** Collect unhandled rejections while `fn` runs (the test fails on any). */
export async function withUnhandledRejections(fn: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown) => seen.push(reason);
  process.on("unhandledRejection", onRejection);
  try {
    await fn();
    await new Promise((r) => setTimeout(r, 20));
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  return seen;
}

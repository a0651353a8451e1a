// Replays the recorded Synapse 1.132.0 request/response pairs (../shared/reference/recorded) against the
// simulator and checks status, content type, errcode and response shape (key sets + JSON types,
// recursively; list elements against the recorded first element). Values differ per run and are not
// compared — except the user lists, whose roster we rebuild from the recording, so there the order of
// names, `total` and `next_token` must match the real server too (that pins the filter semantics).
//
// Only fixtures whose path is under COVERED_PREFIXES are replayed; the rest show up as skipped until the
// API area is built. Extend COVERED_PREFIXES when you add an area; exclude single fixtures only in
// EXCLUDED, with a reason.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import { addDevice, addUser, issueToken, revokeToken, type SimUser } from "../simulator/state";
import { addDestination, addRoom, type SimDestination, type SimDestinationRoom } from "../simulator/seed-federation";
import { loadRecordedKeys } from "../simulator/seed-posture";
import { jsonType, shapeDiff } from "./shape";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const RECORDED_DIR = path.resolve(repoRoot, "../shared/reference/recorded");

interface Fixture {
  name: string;
  request: {
    method: string;
    path: string;
    query?: Record<string, string | string[]>;
    body?: unknown;
    auth: "admin" | "user" | "bad" | "none";
  };
  response: { status: number; headers: Record<string, string>; body: unknown };
}

/** Path prefixes of the endpoints the simulator implements (a fixture is replayed if its path starts so). */
const COVERED_PREFIXES = [
  // auth + conventions
  "/_matrix/client/v3/login",
  "/_matrix/client/v3/logout",
  "/_matrix/client/v3/account/whoami",
  "/_matrix/client/v3/does_not_exist",
  "/_synapse/admin/v1/does_not_exist",
  "/does_not_exist",
  // discovery: versions (well-known and signing keys are listed with federation below)
  "/_matrix/client/versions",
  "/_matrix/federation/v1/version",
  "/_synapse/admin/v1/server_version",
  // users
  "/_synapse/admin/v2/users",
  "/_synapse/admin/v3/users",
  "/_synapse/admin/v1/users/",
  "/_synapse/admin/v1/whois/",
  "/_matrix/client/v3/admin/whois/",
  "/_synapse/admin/v1/username_available",
  // registration tokens (admin API) and public registration
  "/_synapse/admin/v1/registration_tokens",
  "/_matrix/client/v1/register/",
  "/_matrix/client/v3/register",
  // federation + discovery (well-known, signing keys)
  "/_synapse/admin/v1/federation/destinations",
  // the rooms list (room names for a destination's rooms)
  "/_synapse/admin/v1/rooms",
  "/.well-known/matrix/",
  "/_matrix/key/v2/server",
  // E2EE keys and server notices (security posture)
  "/_matrix/client/v3/keys/query",
  "/_synapse/admin/v1/send_server_notice",
];

/** `file › fixture name` → why it is not replayed although its endpoint is covered. */
const EXCLUDED: Record<string, string> = {};

if (!fs.existsSync(RECORDED_DIR)) {
  // Fail loudly: a silently skipped contract test would let the simulator drift from the real server.
  throw new Error(`recorded fixtures not found at ${RECORDED_DIR}`);
}
const FILES = fs
  .readdirSync(RECORDED_DIR)
  .filter((f) => f.endsWith(".json"))
  .sort();
const ALL: Array<{ file: string; fixture: Fixture }> = FILES.flatMap((file) =>
  (JSON.parse(fs.readFileSync(path.join(RECORDED_DIR, file), "utf8")) as Fixture[]).map((fixture) => ({
    file,
    fixture,
  })),
);
const byName = (file: string, prefix: string) =>
  ALL.find((f) => f.file === file && f.fixture.name.startsWith(prefix))?.fixture;

// ------------------------------------------------------------------ the recorded world

/**
 * Rebuilds the recording's state in a fresh simulator: users (from the unfiltered v3 list), passwords
 * used by successful logins, devices, whois connections and account data, all from the fixtures.
 */
async function recordedWorld(): Promise<Simulator> {
  const sim = await startSimulator({ serverName: "hs.test", users: 0 });
  const { state } = sim;
  const now = sim.clock.now();
  const roster = byName("users.json", "v3 list, no parameters")!.response.body as { users: Array<Record<string, unknown>> };
  for (const u of roster.users) {
    const fields = {
      displayname: u.displayname as string | null,
      avatar_url: u.avatar_url as string | null,
      admin: u.admin as boolean,
      is_guest: u.is_guest as boolean,
      user_type: u.user_type as string | null,
      deactivated: u.deactivated as boolean,
      shadow_banned: u.shadow_banned as boolean,
      locked: u.locked as boolean,
      erased: u.erased as boolean,
      approved: u.approved as boolean,
      creation_ts: u.creation_ts as number,
      last_seen_ts: u.last_seen_ts as number | null,
    };
    const existing = state.users.get(u.name as string);
    if (existing) Object.assign(existing, fields);
    else {
      const localpart = (u.name as string).slice(1).split(":")[0];
      addUser(state, { localpart, ...fields, password: fields.deactivated ? null : `${localpart}-pass` }, now);
    }
  }
  for (const { fixture: f } of ALL) {
    const { request: req, response: res } = f;
    const body = res.body as Record<string, any>;
    if (req.method === "POST" && req.path.endsWith("/login") && res.status === 200) {
      const user = state.users.get(body.user_id) as SimUser;
      if (!user.deactivated) user.password = (req.body as any).password;
    }
    if (res.status !== 200) continue;
    if (/\/devices$/.test(req.path)) {
      for (const d of body.devices) {
        if (!state.devices.get(d.user_id)?.has(d.device_id)) addDevice(state, d.user_id, d);
      }
    }
    if (/\/whois\//.test(req.path)) {
      for (const c of body.devices[""].sessions[0].connections) {
        if (!state.connections.some((x) => x.user_id === body.user_id && x.last_seen === c.last_seen)) {
          state.connections.push({ user_id: body.user_id, access_token: null, device_id: null, ...c });
        }
      }
    }
    if (/\/accountdata$/.test(req.path)) {
      state.accountData.set(decodeURIComponent(req.path.split("/")[5]), structuredClone(body.account_data));
    }
  }
  // Destinations and their rooms exactly as recorded (replacing the seeded ones), so totals and orders compare.
  state.federation.destinations.clear();
  state.federation.rooms.clear();
  const dests = byName("federation.json", "destinations, no parameters")!.response.body as { destinations: SimDestination[] };
  for (const d of dests.destinations) addDestination(state, d);
  for (const { fixture: f } of ALL) {
    const m = /^\/_synapse\/admin\/v1\/federation\/destinations\/([^/]+)\/rooms$/.exec(f.request.path);
    if (m && f.response.status === 200 && !f.request.query) {
      state.federation.rooms.set(decodeURIComponent(m[1]), structuredClone((f.response.body as { rooms: SimDestinationRoom[] }).rooms));
    }
  }
  // The room directory: the recorded room as listed, and the recording's other rooms (as many as total_rooms).
  state.federation.roomDirectory.clear();
  const listed = byName("statistics.json", "rooms, limit=1")!.response.body as { rooms: Array<Record<string, unknown>>; total_rooms: number };
  for (const r of listed.rooms) addRoom(state, structuredClone(r) as never);
  const otherIds = new Set([...state.federation.rooms.values()].flat().map((r) => r.room_id));
  for (const id of otherIds) if (state.federation.roomDirectory.size < listed.total_rooms && !state.federation.roomDirectory.has(id)) addRoom(state, { room_id: id });
  for (let i = 0; state.federation.roomDirectory.size < listed.total_rooms; i++) addRoom(state, { room_id: `!extra${i}:hs.test` });
  // E2EE keys exactly as keys/query returned them (the recorded signatures, verbatim).
  for (const { fixture: f } of ALL) {
    if (f.request.path === "/_matrix/client/v3/keys/query" && f.response.status === 200) loadRecordedKeys(state, f.response.body as never);
  }
  // Key ids are map keys in the response: use the recorded one (the key itself is the simulator's own).
  const keys = byName("discovery.json", "server signing keys")!.response.body as { verify_keys: Record<string, unknown> };
  state.federation.signingKey.keyId = Object.keys(keys.verify_keys)[0];
  return sim;
}

/**
 * Registration tokens as they stood when a tokens.json / registration.json fixture was recorded: the server's
 * reference tokens, plus the effect of every earlier successful create/update/delete in the same file; the
 * clock at the recording time (the fixtures' expiry times were "7 days ahead" then); and the UIA session id the
 * recorded /register steps continue.
 */
function prepareTokenWorld(sim: Simulator, file: string, f: Fixture): void {
  if (file !== "tokens.json" && file !== "registration.json") return;
  const created = byName("tokens.json", "create with a chosen token")!;
  sim.clock.set((created.request.body as { expiry_time: number }).expiry_time - 7 * 86_400_000);
  const tokens = sim.state.registrationTokens;
  const reference = byName("tokens.json", "list all")!.response.body as { registration_tokens: Array<{ token: string }> };
  for (const t of reference.registration_tokens) tokens.set(t.token, structuredClone(t) as never);
  const sameFile = ALL.filter((x) => x.file === "tokens.json").map((x) => x.fixture);
  const upTo = file === "tokens.json" ? sameFile.indexOf(f) : sameFile.length;
  for (const g of sameFile.slice(0, upTo)) {
    if (g.response.status !== 200) continue;
    const body = g.response.body as { token?: string };
    if (g.request.method === "POST") tokens.set(body.token!, structuredClone(body) as never);
    if (g.request.method === "PUT") tokens.set(body.token!, structuredClone(body) as never);
    if (g.request.method === "DELETE") tokens.delete(decodeURIComponent(g.request.path.split("/").pop()!));
  }
  if (file === "registration.json") {
    // The zero-uses token was deleted at the end of tokens.json, after the validity check was recorded.
    const zero = byName("tokens.json", "create with uses_allowed 0")!.response.body as { token: string };
    tokens.set(zero.token, structuredClone(zero) as never);
    const first = byName("registration.json", "register without auth: 401")!.response.body as { session: string };
    sim.state.uiaSessions.set(first.session, { session_id: first.session, creation_time: sim.clock.now(), completed: [] });
  }
}

// ------------------------------------------------------------------ replay + comparison

function tokenForAuth(sim: Simulator, f: Fixture): string | null {
  switch (f.request.auth) {
    case "none":
      return null;
    case "admin":
      return sim.adminToken;
    case "user":
      // The recording names whose token it was in the fixture name ("alice's non-admin token").
      return sim.tokenFor(/\b([a-z0-9]+)'s\b/.exec(f.name)?.[1] ?? /\bas ([a-z0-9]+) \(user\)/.exec(f.name)?.[1] ?? "alice");
    case "bad": {
      if (!/revoked|after logout/.test(f.name)) return "syt_bm90aGluZw_unknownTokenXXXXXXXX_000000";
      const t = issueToken(sim.state, "@alice:hs.test", null);
      revokeToken(sim.state, t);
      return t;
    }
  }
}

async function replay(sim: Simulator, f: Fixture): Promise<{ status: number; contentType: string; retryAfter: string | null; body: unknown }> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(f.request.query ?? {})) for (const x of [v].flat()) qs.append(k, x);
  const headers: Record<string, string> = {};
  const token = tokenForAuth(sim, f);
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (f.request.body !== undefined) {
    body = typeof f.request.body === "string" ? f.request.body : JSON.stringify(f.request.body);
    headers["Content-Type"] = "application/json";
  }
  const url = `${sim.url}${f.request.path}${qs.size ? `?${qs}` : ""}`;
  const res = await fetch(url, { method: f.request.method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: compared as a string body
  }
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", retryAfter: res.headers.get("retry-after"), body: parsed };
}

function compare(f: Fixture, got: Awaited<ReturnType<typeof replay>>): string[] {
  const exp = f.response;
  const out: string[] = [];
  if (got.status !== exp.status) out.push(`status: recorded ${exp.status}, got ${got.status}`);
  const ct = exp.headers["content-type"];
  if (ct && got.contentType.toLowerCase() !== ct.toLowerCase()) out.push(`content-type: recorded ${ct}, got ${got.contentType}`);
  if (exp.headers["retry-after"] && got.retryAfter === null) out.push("retry-after: missing");
  const eb = exp.body as Record<string, unknown>;
  const gb = got.body as Record<string, unknown>;
  if (typeof eb === "string" || typeof gb === "string") {
    if (typeof eb !== typeof gb) out.push(`body: recorded ${jsonType(eb)}, got ${jsonType(gb)}`);
    return out;
  }
  if (eb && "errcode" in eb && gb?.errcode !== eb.errcode) out.push(`errcode: recorded ${eb.errcode}, got ${gb?.errcode}`);
  out.push(...shapeDiff(eb, gb));
  // Users lists: the roster is the recording's, so results must match the real server's.
  if (/^\/_synapse\/admin\/v[23]\/users$/.test(f.request.path) && exp.status === 200) {
    const names = (b: Record<string, unknown>) => (b.users as Array<{ name: string }>).map((u) => u.name);
    const truncated = /truncated/.test(f.name);
    const gotNames = truncated ? names(gb).slice(0, names(eb).length) : names(gb);
    if (JSON.stringify(gotNames) !== JSON.stringify(names(eb))) out.push(`users: recorded ${names(eb)}, got ${gotNames}`);
    if (gb.total !== eb.total) out.push(`total: recorded ${eb.total}, got ${gb.total}`);
    if (!truncated && gb.next_token !== eb.next_token) out.push(`next_token: recorded ${eb.next_token}, got ${gb.next_token}`);
  }
  // Destinations and destination rooms: rebuilt from the recording, so order, total and next_token must match.
  if (/^\/_synapse\/admin\/v1\/federation\/destinations(\/[^/]+\/rooms)?$/.test(f.request.path) && exp.status === 200) {
    const ids = (b: Record<string, unknown>) =>
      ((b.destinations ?? b.rooms) as Array<{ destination?: string; room_id?: string }>).map((x) => x.destination ?? x.room_id);
    if (JSON.stringify(ids(gb)) !== JSON.stringify(ids(eb))) out.push(`items: recorded ${ids(eb)}, got ${ids(gb)}`);
    if (gb.total !== eb.total) out.push(`total: recorded ${eb.total}, got ${gb.total}`);
    if (gb.next_token !== eb.next_token) out.push(`next_token: recorded ${eb.next_token}, got ${gb.next_token}`);
  }
  return out;
}

// ------------------------------------------------------------------ tests

const isCovered = (f: Fixture) => COVERED_PREFIXES.some((p) => f.request.path.startsWith(p));
let current: Simulator | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

describe("recorded Synapse fixtures", () => {
  it("found fixtures, and every covered prefix has at least one", () => {
    expect(ALL.length).toBeGreaterThan(0);
    const unused = COVERED_PREFIXES.filter((p) => !ALL.some(({ fixture }) => fixture.request.path.startsWith(p)));
    expect(unused).toEqual([]);
    const stale = Object.keys(EXCLUDED).filter((k) => !ALL.some(({ file, fixture }) => `${file} › ${fixture.name}` === k));
    expect(stale).toEqual([]);
  });

  for (const file of FILES) {
    describe(file, () => {
      for (const { fixture } of ALL.filter((x) => x.file === file)) {
        const label = `${file} › ${fixture.name}`;
        if (!isCovered(fixture)) {
          it.skip(`${fixture.name} (area not simulated yet)`, () => {});
        } else if (EXCLUDED[label]) {
          it.skip(`${fixture.name} (excluded: ${EXCLUDED[label]})`, () => {});
        } else {
          it(fixture.name, async () => {
            current = await recordedWorld();
            prepareTokenWorld(current, file, fixture);
            const diffs = compare(fixture, await replay(current, fixture));
            expect(diffs, `${label}\n  ${fixture.request.method} ${fixture.request.path}`).toEqual([]);
          });
        }
      }
    });
  }
});

// The simulator's in-memory truth. Tests read it to compute expected results independently of the
// HTTP layer, and later API areas add their own fields here (registration tokens, destinations, keys…).
// Field names follow Synapse's API/DB names so expectations read like the reference.
import { randomBytes } from "node:crypto";
import { errors, MatrixError } from "./errors";
import type { SimRegistrationToken, SimUiaSession } from "./state-tokens";
import { createFederationState, type SimFederation } from "./seed-federation";
import { createPostureState, type SimPostureState } from "./seed-posture";

export interface Threepid {
  medium: string;
  address: string;
  added_at: number;
  validated_at: number;
}

export interface ExternalId {
  auth_provider: string;
  external_id: string;
}

export interface SimUser {
  /** Full MXID, e.g. `@alice:sim.test` (Synapse's `users.name`). */
  name: string;
  localpart: string;
  /** Plain-text password; null when the account has none (guests, deactivated: deactivation wipes it). */
  password: string | null;
  displayname: string | null;
  avatar_url: string | null;
  admin: boolean;
  is_guest: boolean;
  /** null, "bot", "support" or a custom type. */
  user_type: string | null;
  deactivated: boolean;
  shadow_banned: boolean;
  locked: boolean;
  suspended: boolean;
  erased: boolean;
  approved: boolean;
  /** Milliseconds, always a whole second: Synapse stores seconds and the list multiplies by 1000. */
  creation_ts: number;
  /** Milliseconds; null = never made an authenticated request. MAX(user_ips.last_seen) in Synapse. */
  last_seen_ts: number | null;
  appservice_id: string | null;
  consent_version: string | null;
  consent_ts: number | null;
  consent_server_notice_sent: string | null;
  threepids: Threepid[];
  external_ids: ExternalId[];
}

export interface SimDevice {
  user_id: string;
  device_id: string;
  display_name: string | null;
  last_seen_ip: string | null;
  last_seen_ts: number | null;
  last_seen_user_agent: string | null;
  /** Listed with `dehydrated: true` only when set (Synapse 1.132). */
  dehydrated?: boolean;
  /** Cross-signing pseudo-devices: stored by Synapse but never listed. */
  hidden?: boolean;
}

export interface SimAccessToken {
  token: string;
  user_id: string;
  device_id: string | null;
  /** Expiry in ms, or null for a non-expiring token. */
  valid_until_ms: number | null;
}

/** A row of Synapse's `user_ips`: what whois reports and where last_seen comes from. */
export interface SimConnection {
  user_id: string;
  access_token: string | null;
  device_id: string | null;
  ip: string;
  user_agent: string;
  last_seen: number;
}

export interface SimAccountData {
  global: Record<string, Record<string, unknown>>;
  rooms: Record<string, Record<string, Record<string, unknown>>>;
}

export interface SimState {
  serverName: string;
  version: string;
  /** Keyed by full MXID. Insertion order is irrelevant: lists sort explicitly. */
  users: Map<string, SimUser>;
  /** userId → deviceId → device, in creation order (the device list keeps it). */
  devices: Map<string, Map<string, SimDevice>>;
  tokens: Map<string, SimAccessToken>;
  connections: SimConnection[];
  /** userId → account data. Absent = nothing stored (served as empty maps). Posture seeding goes here. */
  accountData: Map<string, SimAccountData>;
  /** Remote destinations, their rooms, our discovery documents and signing key (seed-federation.ts). */
  federation: SimFederation;
  /** E2EE keys, key backups and server notices (seed-posture.ts). */
  posture: SimPostureState;
  /** Synapse's registration_tokens, by token (insertion order = the list's order; Synapse has none). */
  registrationTokens: Map<string, SimRegistrationToken>;
  /** Live /register UIA sessions, by session id (see state-tokens.ts). */
  uiaSessions: Map<string, SimUiaSession>;
  /** Under delegation: MSC3861's `admin_token` (Synapse < 1.157), admin without introspection. */
  staticAdminToken: string | null;
}

export function createState(serverName: string, version: string): SimState {
  return {
    serverName,
    version,
    users: new Map(),
    devices: new Map(),
    tokens: new Map(),
    connections: [],
    accountData: new Map(),
    federation: createFederationState(),
    posture: createPostureState(),
    registrationTokens: new Map(),
    uiaSessions: new Map(),
    staticAdminToken: null,
  };
}

// ---------------------------------------------------------------- user ids

export function mxid(state: SimState, localpart: string): string {
  return `@${localpart}:${state.serverName}`;
}

/** Like Synapse's UserID.from_string: 400 M_INVALID_PARAM for a malformed id. */
export function parseUserId(raw: string): { localpart: string; domain: string } {
  if (!raw.startsWith("@")) throw errors.invalidParam("Expected UserID string to start with '@'");
  const colon = raw.indexOf(":");
  if (colon < 0) throw errors.invalidParam(`Invalid user id: '${raw}'`);
  return { localpart: raw.slice(1, colon), domain: raw.slice(colon + 1) };
}

export function isLocal(state: SimState, userId: string): boolean {
  return parseUserId(userId).domain === state.serverName;
}

/** `alice` or `@alice:server` → the full MXID (no existence check). */
export function toUserId(state: SimState, localpartOrId: string): string {
  return localpartOrId.startsWith("@") ? localpartOrId : mxid(state, localpartOrId);
}

const MXID_LOCALPART_CHARS = /^[a-z0-9=_\-./+]+$/;

/**
 * Synapse's RegistrationHandler.check_username, shared by the admin username_available endpoint and
 * (later) /register/available: 400 M_INVALID_USERNAME / M_USER_IN_USE.
 */
export function checkUsername(state: SimState, localpart: string): void {
  const invalid = (msg: string) => new MatrixError(400, "M_INVALID_USERNAME", msg);
  if (!MXID_LOCALPART_CHARS.test(localpart)) {
    throw invalid("User ID can only contain characters a-z, 0-9, or '=_-./+'");
  }
  if (localpart.startsWith("_")) throw invalid("User ID may not begin with _");
  if (/^\d+$/.test(localpart)) throw invalid("Numeric user IDs are reserved for guest users.");
  const id = mxid(state, localpart);
  if (findUserCaseInsensitive(state, id)) throw new MatrixError(400, "M_USER_IN_USE", "User ID already taken.");
  if (id.length > 255) throw invalid("User ID may not be longer than 255 characters");
}

/** Exact match first, then case-insensitive, like Synapse's password login lookup. */
export function findUserCaseInsensitive(state: SimState, userId: string): SimUser | undefined {
  const exact = state.users.get(userId);
  if (exact) return exact;
  const lower = userId.toLowerCase();
  for (const u of state.users.values()) if (u.name.toLowerCase() === lower) return u;
  return undefined;
}

// ---------------------------------------------------------------- mutation helpers

export type NewUser = Partial<Omit<SimUser, "name" | "localpart">> & { localpart: string };

/** Adds a local user with Synapse's defaults for every field not given. Throws if it exists. */
export function addUser(state: SimState, input: NewUser, now: number): SimUser {
  const name = mxid(state, input.localpart);
  if (state.users.has(name)) throw new Error(`simulator: user ${name} already exists`);
  const user: SimUser = {
    name,
    password: null,
    displayname: input.localpart,
    avatar_url: null,
    admin: false,
    is_guest: false,
    user_type: null,
    deactivated: false,
    shadow_banned: false,
    locked: false,
    suspended: false,
    erased: false,
    approved: true,
    creation_ts: Math.floor(now / 1000) * 1000,
    last_seen_ts: null,
    appservice_id: null,
    consent_version: null,
    consent_ts: null,
    consent_server_notice_sent: null,
    threepids: [],
    external_ids: [],
    ...input,
  };
  user.creation_ts = Math.floor(user.creation_ts / 1000) * 1000;
  state.users.set(name, user);
  return user;
}

export function addDevice(
  state: SimState,
  userId: string,
  input: Partial<Omit<SimDevice, "user_id">> = {},
): SimDevice {
  const device: SimDevice = {
    user_id: userId,
    device_id: input.device_id ?? randomDeviceId(),
    display_name: null,
    last_seen_ip: null,
    last_seen_ts: null,
    last_seen_user_agent: null,
    ...input,
  };
  let map = state.devices.get(userId);
  if (!map) state.devices.set(userId, (map = new Map()));
  map.set(device.device_id, device);
  return device;
}

export function listDevices(state: SimState, userId: string): SimDevice[] {
  return [...(state.devices.get(userId)?.values() ?? [])].filter((d) => !d.hidden);
}

/** Creates an access token (and remembers it); Synapse-style `syt_<b64 localpart>_<random>_<check>`. */
export function issueToken(
  state: SimState,
  userId: string,
  deviceId: string | null,
  validUntilMs: number | null = null,
): string {
  const local = Buffer.from(parseUserId(userId).localpart).toString("base64url");
  const token = `syt_${local}_${randomString(20)}_${randomString(6)}`;
  state.tokens.set(token, { token, user_id: userId, device_id: deviceId, valid_until_ms: validUntilMs });
  return token;
}

/** Logout semantics: the token goes, and so does its device (Synapse deletes the device on /logout). */
export function revokeToken(state: SimState, token: string): void {
  const t = state.tokens.get(token);
  if (!t) return;
  state.tokens.delete(token);
  if (t.device_id) deleteDevice(state, t.user_id, t.device_id);
}

export function deleteDevice(state: SimState, userId: string, deviceId: string): void {
  state.devices.get(userId)?.delete(deviceId);
  for (const [k, t] of state.tokens) if (t.user_id === userId && t.device_id === deviceId) state.tokens.delete(k);
}

/** Synapse only rewrites a user_ips row when the previous one is older than this (client_ips.py). */
export const LAST_SEEN_GRANULARITY_MS = 120_000;

/**
 * Records an authenticated request like Synapse's client_ips: upserts the (token, ip, user agent) row,
 * and moves the user's and device's last_seen forward.
 */
/**
 * Index of connections by (token, ip, user agent), so recording one is O(1) instead of a scan of every row (the
 * seeding pushes rows directly, so the index catches up lazily; a shrunk array is re-indexed).
 */
const connectionIndex = new WeakMap<SimConnection[], { map: Map<string, SimConnection>; upTo: number }>();
const connectionKey = (token: string | null, ip: string, ua: string) => `${token}\u0000${ip}\u0000${ua}`;

function findConnection(state: SimState, token: string, ip: string, userAgent: string): SimConnection | undefined {
  let idx = connectionIndex.get(state.connections);
  if (!idx || idx.upTo > state.connections.length) {
    idx = { map: new Map(), upTo: 0 };
    connectionIndex.set(state.connections, idx);
  }
  for (; idx.upTo < state.connections.length; idx.upTo++) {
    const c = state.connections[idx.upTo];
    const k = connectionKey(c.access_token, c.ip, c.user_agent);
    if (!idx.map.has(k)) idx.map.set(k, c);
  }
  return idx.map.get(connectionKey(token, ip, userAgent));
}

export function recordConnection(
  state: SimState,
  t: SimAccessToken,
  ip: string,
  userAgent: string,
  now: number,
): void {
  const row = findConnection(state, t.token, ip, userAgent);
  if (row && now - row.last_seen < LAST_SEEN_GRANULARITY_MS) return;
  if (row) row.last_seen = now;
  else
    state.connections.push({
      user_id: t.user_id,
      access_token: t.token,
      device_id: t.device_id,
      ip,
      user_agent: userAgent,
      last_seen: now,
    });
  const user = state.users.get(t.user_id);
  if (user && (user.last_seen_ts === null || user.last_seen_ts < now)) user.last_seen_ts = now;
  const device = t.device_id ? state.devices.get(t.user_id)?.get(t.device_id) : undefined;
  if (device) Object.assign(device, { last_seen_ts: now, last_seen_ip: ip, last_seen_user_agent: userAgent });
}

export function accountDataOf(state: SimState, userId: string): SimAccountData {
  let ad = state.accountData.get(userId);
  if (!ad) state.accountData.set(userId, (ad = { global: {}, rooms: {} }));
  return ad;
}

// ---------------------------------------------------------------- ids

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function pick(alphabet: string, n: number): string {
  const bytes = randomBytes(n);
  let s = "";
  for (let i = 0; i < n; i++) s += alphabet[bytes[i] % alphabet.length];
  return s;
}

/** Synapse device ids: 10 upper-case letters. */
export const randomDeviceId = () => pick(UPPER, 10);
export const randomString = (n: number) => pick(ALNUM, n);

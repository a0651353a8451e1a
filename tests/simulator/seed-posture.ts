// E2EE posture of the simulator's users (reference §4 and §8): cross-signing keys, device keys with real ed25519
// signatures over canonical JSON, secret storage in account data, key-backup versions, and server notices.
//
// What each posture leaves behind follows §8 exactly (what a real client left on a real Synapse 1.132):
// - full setup: master/self-signing/user-signing keys, every device cross-signed, a backup version, and exactly
//   six global account-data types (default_key, key.<id>, the three cross_signing secrets, megolm_backup.v1);
// - cross-signing only and backup only: NO account data at all;
// - deactivated: devices, device keys, account data and backups gone, cross-signing keys kept.
// Key material is random per run (like the recorded server); the *assignment* of postures follows the seed.
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { Prng } from "./seed";
import { accountDataOf, listDevices, type SimState } from "./state";

export type PostureKind =
  | "full"
  | "cross_signing_only"
  | "backup_only"
  | "unverified_session"
  | "device_without_keys"
  | "never_set_up"
  | "deactivated_with_keys"
  | "deactivated"
  | "bot";

export type SignedJson = Record<string, unknown> & { signatures?: Record<string, Record<string, string>> };

export interface SimUserKeys {
  master?: SignedJson;
  selfSigning?: SignedJson;
  userSigning?: SignedJson;
  /** deviceId → the device keys as uploaded (without `unsigned`: the server adds the display name). */
  devices: Map<string, SignedJson>;
  /** Keys replaced by a reset, oldest first: Synapse keeps them as older rows of e2e_cross_signing_keys. */
  history?: Array<{ master?: SignedJson; selfSigning?: SignedJson; userSigning?: SignedJson }>;
}

/** A row of `e2e_room_keys_versions` plus the number of `e2e_room_keys` rows for it. */
export interface SimBackupVersion {
  version: string;
  algorithm: string;
  auth_data: Record<string, unknown>;
  /** Number of stored room keys. */
  count: number;
  etag: string;
  deleted: boolean;
}

export interface SimNotice {
  event_id: string;
  user_id: string;
  content: Record<string, unknown>;
  type: string;
  ts: number;
}

export interface SimPostureState {
  keys: Map<string, SimUserKeys>;
  /** userId → backup versions, oldest first. */
  backups: Map<string, SimBackupVersion[]>;
  /** What seeding gave each user (for demos and test names; the truth is keys/backups/account data). */
  assigned: Map<string, PostureKind>;
  /** Every server notice actually sent (one entry per real send, not per request). */
  notices: SimNotice[];
  /** Synapse's HttpTransactionCache: (path, user, device|token) → response, kept 30 minutes. */
  noticeTxns: Map<string, { eventId: string; at: number }>;
  /** `server_notices` configured in homeserver.yaml (default true); false → 400 on send. */
  serverNoticesEnabled: boolean;
  /** experimental msc4263_limit_key_queries_to_users_who_share_rooms (the simulator has no rooms: only yourself). */
  limitKeyQueriesToSharedRooms: boolean;
  /** Private halves of every key seeded, by public key, so tests can sign more (crossSignDevice…). */
  privateKeys: Map<string, KeyObject>;
}

export function createPostureState(): SimPostureState {
  return {
    keys: new Map(),
    backups: new Map(),
    assigned: new Map(),
    notices: [],
    noticeTxns: new Map(),
    serverNoticesEnabled: true,
    limitKeyQueriesToSharedRooms: false,
    privateKeys: new Map(),
  };
}

// ---------------------------------------------------------------- crypto (independent of the app's code)

/** Canonical JSON, written separately from the app's so a shared bug cannot make both sides agree. */
export function simCanonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(simCanonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${simCanonicalJson((v as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

const unpadded = (b: Buffer) => b.toString("base64").replace(/=+$/, "");

/**
 * A fresh ed25519 key pair; returns the public key (unpadded base64). The public key comes out DER-encoded from the
 * generation itself: exporting a just-generated KeyObject (as JWK) can deadlock Node 20 when a garbage collection
 * during the export finalises the generation job that shares the key's lock (seen as a simulator that hung — main
 * thread in futex_wait under KeyObjectHandle::ExportJWK → ~KeyGenJob — while seeding 10,000 users). Re-importing a
 * DER private key instead would cost ~0.4 ms a key in OpenSSL 3's decoders.
 */
function newKey(state: SimState): string {
  // (Node allows encoding only the public half; its typings know only both-or-neither.)
  const { publicKey, privateKey } = (generateKeyPairSync as unknown as (t: "ed25519", o: object) => { publicKey: Buffer; privateKey: KeyObject })(
    "ed25519",
    { publicKeyEncoding: { type: "spki", format: "der" } },
  );
  // An ed25519 SPKI is a fixed 12-byte header followed by the 32 raw key bytes.
  const pub = unpadded(publicKey.subarray(publicKey.length - 32));
  state.posture.privateKeys.set(pub, privateKey);
  return pub;
}

/** Adds `signer`'s signature by key `pub` to `obj` (over canonical JSON without signatures/unsigned). */
export function signJson(state: SimState, obj: SignedJson, signer: string, pub: string): SignedJson {
  const priv = state.posture.privateKeys.get(pub);
  if (!priv) throw new Error("simulator: no private key for " + pub);
  const { signatures, unsigned: _u, ...rest } = obj;
  const sig = unpadded(sign(null, Buffer.from(simCanonicalJson(rest), "utf8"), priv));
  obj.signatures = { ...signatures, [signer]: { ...signatures?.[signer], [`ed25519:${pub}`]: sig } };
  return obj;
}

export const publicKeyOf = (k: SignedJson | undefined): string | undefined =>
  k ? Object.values(k.keys as Record<string, string>)[0] : undefined;

function keysOf(state: SimState, userId: string): SimUserKeys {
  let k = state.posture.keys.get(userId);
  if (!k) state.posture.keys.set(userId, (k = { devices: new Map() }));
  return k;
}

// ---------------------------------------------------------------- what a client does (exported for tests)

/** The device uploads its identity keys, self-signed by its ed25519 key (as every E2EE client does on login). */
export function uploadDeviceKeys(state: SimState, userId: string, deviceId: string): SignedJson {
  const pub = newKey(state);
  const keys: SignedJson = {
    algorithms: ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
    device_id: deviceId,
    keys: { [`curve25519:${deviceId}`]: unpadded(randomBytes(32)), [`ed25519:${deviceId}`]: pub },
    user_id: userId,
  };
  // A device signs with its device-id key id, not the public key.
  const priv = state.posture.privateKeys.get(pub)!;
  const sig = unpadded(sign(null, Buffer.from(simCanonicalJson(keys), "utf8"), priv));
  keys.signatures = { [userId]: { [`ed25519:${deviceId}`]: sig } };
  keysOf(state, userId).devices.set(deviceId, keys);
  return keys;
}

/** Bootstraps (or resets) cross-signing: new master, self-signing and user-signing keys. */
export function setUpCrossSigning(state: SimState, userId: string): void {
  const k = keysOf(state, userId);
  if (k.master || k.selfSigning || k.userSigning) (k.history ??= []).push({ master: k.master, selfSigning: k.selfSigning, userSigning: k.userSigning });
  const mk = newKey(state);
  k.master = { keys: { [`ed25519:${mk}`]: mk }, usage: ["master"], user_id: userId };
  signJson(state, k.master, userId, mk);
  for (const usage of ["self_signing", "user_signing"] as const) {
    const pub = newKey(state);
    const key: SignedJson = { keys: { [`ed25519:${pub}`]: pub }, usage: [usage], user_id: userId };
    signJson(state, key, userId, mk);
    if (usage === "self_signing") k.selfSigning = key;
    else k.userSigning = key;
  }
}

/** Signs a device's keys with the user's current self-signing key (what `crossSignDevice` does). */
export function crossSignDevice(state: SimState, userId: string, deviceId: string): void {
  const k = keysOf(state, userId);
  const device = k.devices.get(deviceId);
  const ssk = publicKeyOf(k.selfSigning);
  if (!device || !ssk) throw new Error(`simulator: ${userId}/${deviceId} has no keys or no self-signing key`);
  signJson(state, device, userId, ssk);
}

/** Secret storage with the cross-signing secrets (and the backup key when `withBackupKey`): §8's six types. */
export function setUpSecretStorage(state: SimState, userId: string, withBackupKey: boolean): string {
  const keyId = randomBytes(24).toString("base64url").slice(0, 32);
  const global = accountDataOf(state, userId).global;
  const blob = () => ({
    encrypted: { [keyId]: { iv: randomBytes(16).toString("base64"), ciphertext: randomBytes(42).toString("base64"), mac: randomBytes(32).toString("base64") } },
  });
  global[`m.secret_storage.key.${keyId}`] = {
    algorithm: "m.secret_storage.v1.aes-hmac-sha2",
    iv: randomBytes(16).toString("base64"),
    mac: randomBytes(32).toString("base64"),
  };
  global["m.secret_storage.default_key"] = { key: keyId };
  for (const t of ["master", "user_signing", "self_signing"]) global[`m.cross_signing.${t}`] = blob();
  if (withBackupKey) global["m.megolm_backup.v1"] = blob();
  return keyId;
}

/** A new current backup version (older ones stay, as in `e2e_room_keys_versions`). */
export function createBackup(state: SimState, userId: string, count: number): SimBackupVersion {
  const list = state.posture.backups.get(userId) ?? [];
  const k = state.posture.keys.get(userId);
  const authData: SignedJson = { public_key: unpadded(randomBytes(32)) };
  const mk = publicKeyOf(k?.master);
  if (mk) signJson(state, authData, userId, mk);
  const version: SimBackupVersion = {
    version: String(list.length + 1),
    algorithm: "m.megolm_backup.v1.curve25519-aes-sha2",
    auth_data: authData,
    count,
    etag: String(count),
    deleted: false,
  };
  list.push(version);
  state.posture.backups.set(userId, list);
  return version;
}

/** The user's current backup: the highest non-deleted version, like Synapse. */
export function currentBackup(state: SimState, userId: string): SimBackupVersion | undefined {
  return (state.posture.backups.get(userId) ?? []).filter((b) => !b.deleted).at(-1);
}

/** Admin deactivation (§8): devices, device keys, account data and backups go; cross-signing keys stay. */
export function deactivateE2ee(state: SimState, userId: string): void {
  state.devices.delete(userId);
  state.accountData.delete(userId);
  state.posture.backups.delete(userId);
  state.posture.keys.get(userId)?.devices.clear();
}

// ---------------------------------------------------------------- seeding

const REQUIRED: Array<{ kind: PostureKind; minDevices: number }> = [
  { kind: "unverified_session", minDevices: 2 },
  { kind: "full", minDevices: 1 },
  { kind: "cross_signing_only", minDevices: 1 },
  { kind: "backup_only", minDevices: 1 },
  { kind: "device_without_keys", minDevices: 1 },
  { kind: "never_set_up", minDevices: 0 },
];

const WEIGHTS: Array<[PostureKind, number]> = [
  ["full", 0.35],
  ["never_set_up", 0.25],
  ["cross_signing_only", 0.1],
  ["backup_only", 0.08],
  ["unverified_session", 0.12],
  ["device_without_keys", 0.1],
];

function weighted(rng: Prng, devices: number): PostureKind {
  const options = WEIGHTS.filter(([k]) => devices >= (REQUIRED.find((r) => r.kind === k)?.minDevices ?? 0));
  const total = options.reduce((s, [, w]) => s + w, 0);
  let r = rng.float() * total;
  for (const [k, w] of options) if ((r -= w) < 0) return k;
  return options[options.length - 1][0];
}

/**
 * Gives every seeded user (not the admin) a posture: every posture at least once when the population allows,
 * the rest weighted. Deactivated users keep cross-signing keys half the time; bots never upload keys.
 */
export function seedPosture(state: SimState, opts: { seed: number }): void {
  const rng = new Prng((opts.seed ^ 0x5eed) >>> 0);
  const ordinary: string[] = [];
  let deactivatedSeen = 0;
  for (const u of state.users.values()) {
    if (u.localpart === "admin") continue;
    if (u.deactivated) {
      // The first deactivated user had cross-signing (§8 keeps it), the second did not; the rest are random.
      const n = deactivatedSeen++;
      const kind: PostureKind = n === 0 || (n > 1 && rng.chance(0.5)) ? "deactivated_with_keys" : "deactivated";
      state.posture.assigned.set(u.name, kind);
      if (kind === "deactivated_with_keys") setUpCrossSigning(state, u.name);
    } else if (u.user_type === "bot" || u.user_type === "support") {
      state.posture.assigned.set(u.name, "bot");
    } else {
      ordinary.push(u.name);
    }
  }
  const deviceCount = (id: string) => listDevices(state, id).length;
  const order = rng.shuffle([...ordinary]);
  for (const req of REQUIRED) {
    const pick = order.find((id) => !state.posture.assigned.has(id) && deviceCount(id) >= req.minDevices);
    if (pick) state.posture.assigned.set(pick, req.kind);
  }
  for (const id of order) if (!state.posture.assigned.has(id)) state.posture.assigned.set(id, weighted(rng, deviceCount(id)));
  for (const id of ordinary) applyPosture(state, id, state.posture.assigned.get(id)!, rng);
}

/** Makes `userId`'s E2EE state match `kind` (exported so tests can build a user in a chosen posture). */
export function applyPosture(state: SimState, userId: string, kind: PostureKind, rng = new Prng(1)): void {
  state.posture.assigned.set(userId, kind);
  const devices = listDevices(state, userId).map((d) => d.device_id);
  const withKeys = kind !== "device_without_keys" && kind !== "bot";
  if (withKeys) for (const d of devices) uploadDeviceKeys(state, userId, d);
  const crossSigning = kind === "full" || kind === "cross_signing_only" || kind === "unverified_session";
  if (crossSigning) {
    const k = keysOf(state, userId);
    if (kind === "unverified_session" && rng.chance(0.5) && devices.length) {
      // A reset: the extra device still carries a signature by the *previous* self-signing key.
      setUpCrossSigning(state, userId);
      crossSignDevice(state, userId, devices[devices.length - 1]);
    }
    setUpCrossSigning(state, userId);
    // The first device bootstrapped cross-signing, so it also signed the master key (as ed25519:<device_id>).
    if (devices[0]) {
      const pub = (k.devices.get(devices[0])!.keys as Record<string, string>)[`ed25519:${devices[0]}`];
      signJson(state, k.master!, userId, pub);
      renameDeviceSignature(k.master!, userId, pub, devices[0]);
    }
    const signed = kind === "unverified_session" ? devices.slice(0, -1) : devices;
    for (const d of signed) crossSignDevice(state, userId, d);
  }
  if (kind === "full" || kind === "unverified_session") setUpSecretStorage(state, userId, true);
  if (kind === "full" || kind === "unverified_session" || kind === "backup_only") createBackup(state, userId, rng.int(1, 5000));
}

function renameDeviceSignature(obj: SignedJson, userId: string, pub: string, deviceId: string): void {
  const mine = obj.signatures?.[userId];
  if (!mine || !(`ed25519:${pub}` in mine)) return;
  mine[`ed25519:${deviceId}`] = mine[`ed25519:${pub}`];
  delete mine[`ed25519:${pub}`];
}

/**
 * Loads a recorded keys/query response body into the state (the contract test's recorded world): device keys
 * (adding the devices if the recording listed none), master and self-signing keys, and the requester's
 * user-signing key. Signatures are the recorded ones, verbatim.
 */
export function loadRecordedKeys(state: SimState, body: Record<string, Record<string, unknown>>): void {
  const { posture } = state;
  for (const [userId, devices] of Object.entries(body.device_keys ?? {})) {
    for (const [deviceId, dk] of Object.entries(devices as Record<string, SignedJson>)) {
      const { unsigned, ...keys } = structuredClone(dk);
      if (!state.devices.get(userId)?.has(deviceId)) {
        const name = (unsigned as { device_display_name?: string } | undefined)?.device_display_name ?? null;
        let map = state.devices.get(userId);
        if (!map) state.devices.set(userId, (map = new Map()));
        map.set(deviceId, { user_id: userId, device_id: deviceId, display_name: name, last_seen_ip: null, last_seen_ts: null, last_seen_user_agent: null });
      }
      keysOf(state, userId).devices.set(deviceId, keys);
    }
  }
  for (const [field, slot] of [["master_keys", "master"], ["self_signing_keys", "selfSigning"], ["user_signing_keys", "userSigning"]] as const) {
    for (const [userId, key] of Object.entries(body[field] ?? {})) keysOf(state, userId)[slot] = structuredClone(key) as SignedJson;
  }
}

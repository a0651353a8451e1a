/**
 * Turns what the homeserver told us about one user into the posture verdicts (pure; reference §4 and §8).
 *
 * Rules:
 * - cross-signing ok ⇔ a master key and a self-signing key are published, and the self-signing key carries a valid
 *   signature by the master key;
 * - a device is cross-signed ⇔ its device keys carry a VALID ed25519 signature by the user's current self-signing
 *   key (checked over canonical JSON, not just looked up); a listed device absent from keys/query has no keys;
 * - unverified session = a device with keys that is not cross-signed while the user has cross-signing;
 * - recovery ok ⇔ secret storage has a default key, its key description exists, and the cross-signing secrets are
 *   stored under it;
 * - key backup comes from the best source available and says which; "unknown" is never turned into "missing".
 */
import type { CrossSigningKeyJson, Device, DeviceKeysJson, UserSummary } from "../../homeserver";
import type { PostureDevice } from "../../../db/schema/posture";
import { verifySignature } from "./canonical-json.server";

export type CheckStatus = "ok" | "missing" | "unknown";
export type BackupSource = "database" | "login_as" | "account_data";
export type UserCategory = "active" | "deactivated" | "bot" | "support" | "appservice";
export const CHECKS = ["cross_signing", "recovery", "key_backup", "no_unverified_sessions", "fully_secured"] as const;
export type CheckName = (typeof CHECKS)[number];

/** What keys/query said about the user. `visible: false` = the user was left out of the answer entirely. */
export interface KeysFacts {
  visible: boolean;
  /** Why it is not visible (msc4263, a failure…). */
  reason?: string;
  master?: CrossSigningKeyJson;
  selfSigning?: CrossSigningKeyJson;
  deviceKeys: Record<string, DeviceKeysJson>;
}

export interface BackupFact {
  status: CheckStatus;
  source: BackupSource;
  version?: string | null;
  count?: number | null;
  note?: string;
}

export interface UserFacts {
  user: Pick<UserSummary, "userId" | "displayname" | "userType" | "deactivated" | "admin">;
  keys: KeysFacts;
  /** null = could not be fetched (see devicesError). */
  devices: Device[] | null;
  devicesError?: string;
  /** The `global` account data, or null = could not be fetched. */
  accountData: Record<string, unknown> | null;
  accountDataError?: string;
  /** Set only for the login-as / database sources; the account-data inference is made here. */
  backup?: BackupFact;
  backupSource: BackupSource;
}

/** Checks one signature: `obj.signatures[signer][keyId]` by `publicKeyBase64`. */
export type Verify = (obj: Record<string, unknown>, signer: string, keyId: string, publicKeyBase64: string) => boolean;

export interface ClassifyOptions {
  now: number;
  staleDays: number;
  appservicePattern?: RegExp | null;
  /** Default: verifySignature on this thread. The scan passes results it computed ahead (signatureChecks). */
  verify?: Verify;
}

export interface PostureVerdict {
  userId: string;
  displayname: string | null;
  category: UserCategory;
  admin: boolean;
  crossSigning: CheckStatus;
  recovery: CheckStatus;
  keyBackup: CheckStatus;
  noUnverifiedSessions: CheckStatus;
  fullySecured: CheckStatus;
  backupSource: BackupSource;
  backupVersion: string | null;
  backupKeyCount: number | null;
  devices: number;
  crossSignedDevices: number;
  unverifiedDevices: number;
  noKeyDevices: number;
  staleDevices: number;
  deviceList: PostureDevice[];
  notes: Record<string, string>;
}

const DAY_MS = 86_400_000;

export function categoryOf(user: UserFacts["user"], appservicePattern?: RegExp | null): UserCategory {
  if (user.deactivated) return "deactivated";
  if (user.userType === "bot") return "bot";
  if (user.userType === "support") return "support";
  if (appservicePattern?.test(user.userId)) return "appservice";
  return "active";
}

const singleKey = (k: CrossSigningKeyJson | undefined): string | undefined => {
  const values = k ? Object.values(k.keys ?? {}) : [];
  return values.length === 1 && typeof values[0] === "string" ? values[0] : undefined;
};

/**
 * Every signature classifyUser may check for this user: the self-signing key by the master key, and each device
 * by the self-signing key. Known from the key query alone, so a scan can verify them ahead (on another thread)
 * while the user's devices and account data are fetched.
 */
export function signatureChecks(userId: string, keys: KeysFacts): Array<{ obj: Record<string, unknown>; signer: string; keyId: string; publicKeyBase64: string }> {
  if (!keys.visible) return [];
  const mk = singleKey(keys.master);
  const ssk = singleKey(keys.selfSigning);
  if (!mk || !ssk) return [];
  const checks = [{ obj: keys.selfSigning as unknown as Record<string, unknown>, signer: userId, keyId: `ed25519:${mk}`, publicKeyBase64: mk }];
  for (const dk of Object.values(keys.deviceKeys)) {
    checks.push({ obj: dk as unknown as Record<string, unknown>, signer: userId, keyId: `ed25519:${ssk}`, publicKeyBase64: ssk });
  }
  return checks;
}

/** The self-signing public key if cross-signing is set up and sound, else a reason. */
export function crossSigningOf(userId: string, keys: KeysFacts, verify: Verify = verifySignature): { status: CheckStatus; ssk?: string; note?: string } {
  if (!keys.visible) return { status: "unknown", note: keys.reason ?? "keys/query did not return this user" };
  const mk = singleKey(keys.master);
  if (!mk) return { status: "missing", note: keys.master ? "master key is malformed" : undefined };
  const ssk = singleKey(keys.selfSigning);
  if (!ssk) return { status: "missing", note: "master key published but no self-signing key" };
  if (!verify(keys.selfSigning as unknown as Record<string, unknown>, userId, `ed25519:${mk}`, mk)) {
    return { status: "missing", note: "self-signing key is not validly signed by the master key" };
  }
  return { status: "ok", ssk };
}

export function recoveryOf(global: Record<string, unknown> | null, error?: string): { status: CheckStatus; note?: string; keyId?: string } {
  if (global === null) return { status: "unknown", note: error ?? "account data could not be read" };
  const def = global["m.secret_storage.default_key"] as { key?: unknown } | undefined;
  const keyId = typeof def?.key === "string" ? def.key : undefined;
  if (!keyId) return { status: "missing", note: "no secret storage (no default key)" };
  if (!global[`m.secret_storage.key.${keyId}`]) return { status: "missing", note: "the default secret-storage key is not described" };
  const stored = (type: string) => {
    const enc = (global[type] as { encrypted?: Record<string, unknown> } | undefined)?.encrypted;
    return Boolean(enc && typeof enc === "object" && keyId in enc);
  };
  const absent = ["master", "self_signing", "user_signing"].filter((t) => !stored(`m.cross_signing.${t}`));
  if (absent.length) return { status: "missing", keyId, note: `cross-signing secrets not in secret storage: ${absent.join(", ")}` };
  return { status: "ok", keyId };
}

/** The inferred source: account data can prove the backup key is stored or that backup was turned off, never absence. */
export function inferBackup(global: Record<string, unknown> | null, keyId: string | undefined, error?: string): BackupFact {
  if (global === null) return { status: "unknown", source: "account_data", note: error ?? "account data could not be read" };
  const enabled = (global["m.key_backup"] as { enabled?: unknown } | undefined)?.enabled;
  const disabled = (global["m.org.matrix.custom.backup_disabled"] as { disabled?: unknown } | undefined)?.disabled;
  if (enabled === false || disabled === true) return { status: "missing", source: "account_data", note: "key backup turned off in the client" };
  const enc = (global["m.megolm_backup.v1"] as { encrypted?: Record<string, unknown> } | undefined)?.encrypted;
  if (enc && (keyId ? keyId in enc : Object.keys(enc).length > 0)) {
    return { status: "ok", source: "account_data", note: "backup key is in secret storage (inferred; a current version is not proven)" };
  }
  return { status: "unknown", source: "account_data", note: "no backup signal in account data; that proves nothing either way" };
}

export function combine(statuses: CheckStatus[]): CheckStatus {
  if (statuses.includes("missing")) return "missing";
  if (statuses.includes("unknown")) return "unknown";
  return "ok";
}

export function classifyUser(f: UserFacts, o: ClassifyOptions): PostureVerdict {
  const { userId } = f.user;
  const notes: Record<string, string> = {};
  const verify = o.verify ?? verifySignature;
  const cs = crossSigningOf(userId, f.keys, verify);
  if (cs.note) notes.cross_signing = cs.note;

  const deviceList: PostureDevice[] = [];
  let crossSigned = 0;
  let unverified = 0;
  let noKeys = 0;
  let stale = 0;
  for (const d of f.devices ?? []) {
    const dk = f.keys.deviceKeys[d.deviceId];
    let state: string;
    if (!f.keys.visible) state = "unknown";
    else if (!dk) state = "no_keys";
    else if (cs.status !== "ok") state = "keys_only";
    else if (verify(dk as unknown as Record<string, unknown>, userId, `ed25519:${cs.ssk}`, cs.ssk!)) state = "cross_signed";
    else state = "unverified";
    const isStale = d.lastSeenTs !== null && o.now - d.lastSeenTs > o.staleDays * DAY_MS;
    if (state === "cross_signed") crossSigned++;
    if (state === "unverified") unverified++;
    if (state === "no_keys") noKeys++;
    if (isStale) stale++;
    // The address is kept (when known) for the bulk sign-out preview, which lists it beside each session.
    deviceList.push({ id: d.deviceId, name: d.displayName, lastSeenTs: d.lastSeenTs, state, stale: isStale, ...(d.lastSeenIp ? { ip: d.lastSeenIp } : {}) });
  }

  let noUnverified: CheckStatus;
  if (f.devices === null) {
    noUnverified = "unknown";
    notes.devices = f.devicesError ?? "devices could not be read";
  } else if (cs.status === "unknown") noUnverified = "unknown";
  else noUnverified = unverified > 0 ? "missing" : "ok";

  const rec = recoveryOf(f.accountData, f.accountDataError);
  if (rec.note) notes.recovery = rec.note;
  const backup = f.backup ?? inferBackup(f.accountData, rec.keyId, f.accountDataError);
  if (backup.note) notes.key_backup = backup.note;

  return {
    userId,
    displayname: f.user.displayname,
    category: categoryOf(f.user, o.appservicePattern),
    admin: f.user.admin,
    crossSigning: cs.status,
    recovery: rec.status,
    keyBackup: backup.status,
    noUnverifiedSessions: noUnverified,
    fullySecured: combine([cs.status, rec.status, backup.status, noUnverified]),
    backupSource: backup.source,
    backupVersion: backup.version ?? null,
    backupKeyCount: backup.count ?? null,
    devices: f.devices?.length ?? 0,
    crossSignedDevices: crossSigned,
    unverifiedDevices: unverified,
    noKeyDevices: noKeys,
    staleDevices: stale,
    deviceList,
    notes,
  };
}

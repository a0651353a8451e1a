/**
 * E2EE key queries (reference §4). The signed key objects are returned raw (snake_case, passthrough): any
 * signature check needs them exactly as the server sent them.
 */
import { z } from "zod";
import { isHomeserverError } from "./errors";
import type { HomeserverHttp } from "./http";
import { finiteNumber, isPlainRecord, looseObject, withFastPath } from "./parse";

export interface DeviceKeysJson {
  user_id: string;
  device_id: string;
  algorithms: string[];
  keys: Record<string, string>;
  signatures: Record<string, Record<string, string>>;
  unsigned?: { device_display_name?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface CrossSigningKeyJson {
  user_id: string;
  usage: string[];
  keys: Record<string, string>;
  signatures?: Record<string, Record<string, string>>;
  [key: string]: unknown;
}

/** Remote-server failures use `message`, not Matrix's usual `error`. */
export interface KeyQueryFailure {
  status?: number;
  errcode?: string;
  message?: string;
  [key: string]: unknown;
}

export interface KeysQueryResult {
  /** user → device → keys. An unknown local user, or one with no uploaded keys, maps to `{}`. */
  deviceKeys: Record<string, Record<string, DeviceKeysJson>>;
  /** Present for every queried user that has cross-signing. */
  masterKeys: Record<string, CrossSigningKeyJson>;
  selfSigningKeys: Record<string, CrossSigningKeyJson>;
  /** Only ever the requester's own. */
  userSigningKeys: Record<string, CrossSigningKeyJson>;
  /** Keyed by server name. */
  failures: Record<string, KeyQueryFailure>;
}

export interface RoomKeysVersion {
  algorithm: string;
  authData: Record<string, unknown>;
  count: number;
  etag: string;
  version: string;
}

const signatures = z.record(z.record(z.string()));

const deviceKeys = looseObject({
  user_id: z.string(),
  device_id: z.string(),
  algorithms: z.array(z.string()),
  keys: z.record(z.string()),
  signatures: signatures.nullish().transform((v) => v ?? {}),
  unsigned: looseObject({ device_display_name: z.string().optional() }).optional(),
});

const crossSigningKey = looseObject({
  user_id: z.string(),
  usage: z.array(z.string()),
  keys: z.record(z.string()),
  signatures: signatures.optional(),
});

const keysMap = z
  .record(crossSigningKey)
  .nullish()
  .transform((v) => v ?? {});

const querySchema = z
  .object({
    device_keys: z
      .record(z.record(deviceKeys))
      .nullish()
      .transform((v) => v ?? {}),
    master_keys: keysMap,
    self_signing_keys: keysMap,
    user_signing_keys: keysMap,
    failures: z
      .record(looseObject({ status: finiteNumber.optional(), errcode: z.string().optional(), message: z.string().optional() }))
      .nullish()
      .transform((v) => v ?? {}),
  })
  .transform(
    (r): KeysQueryResult => ({
      deviceKeys: r.device_keys as KeysQueryResult["deviceKeys"],
      masterKeys: r.master_keys as KeysQueryResult["masterKeys"],
      selfSigningKeys: r.self_signing_keys as KeysQueryResult["selfSigningKeys"],
      userSigningKeys: r.user_signing_keys as KeysQueryResult["userSigningKeys"],
      failures: r.failures,
    }),
  );

const backupSchema = z
  .object({
    algorithm: z.string(),
    auth_data: z.record(z.unknown()),
    count: finiteNumber,
    etag: z.string(),
    version: z.string(),
  })
  .transform((r): RoomKeysVersion => ({ algorithm: r.algorithm, authData: r.auth_data, count: r.count, etag: r.etag, version: r.version }));

// ---------------------------------------------------------------------------------------------- fast path
// A posture scan reads one key query per 200 users, each tens of kilobytes of nested key objects: through zod that
// was 20-odd ms of the scanner's thread per query, during which every homeserver answer waited. The usual shape is
// checked by hand and passed through as parsed; anything else (a missing or null field, a failure entry, a
// `__proto__` key, which zod drops) declines and zod decides, so the result is always zod's
// (tests/unit/homeserver-fast-parse.test.ts).

/** Every value a string, in a plain record. */
function isStringRecord(v: unknown): v is Record<string, string> {
  if (!isPlainRecord(v)) return false;
  for (const k in v) if (typeof v[k] !== "string") return false;
  return true;
}

function isStringArray(v: unknown): v is string[] {
  if (!Array.isArray(v)) return false;
  for (const x of v) if (typeof x !== "string") return false;
  return true;
}

function isSignatures(v: unknown): boolean {
  if (!isPlainRecord(v)) return false;
  for (const k in v) if (!isStringRecord(v[k])) return false;
  return true;
}

/** Device keys exactly as zod would return them (signatures present: zod would add `{}` when absent). */
function isFastDeviceKeys(v: unknown): boolean {
  if (!isPlainRecord(v)) return false;
  if (typeof v.user_id !== "string" || typeof v.device_id !== "string" || !isStringArray(v.algorithms) || !isStringRecord(v.keys)) return false;
  if (!isSignatures(v.signatures)) return false;
  const u = v.unsigned;
  if (u !== undefined && !(isPlainRecord(u) && (u.device_display_name === undefined || typeof u.device_display_name === "string"))) return false;
  return true;
}

function isFastCrossSigningKey(v: unknown): boolean {
  if (!isPlainRecord(v)) return false;
  if (typeof v.user_id !== "string" || !isStringArray(v.usage) || !isStringRecord(v.keys)) return false;
  return v.signatures === undefined || isSignatures(v.signatures);
}

/** A keysMap (nullish → {}), or undefined when it is not the usual shape. */
function fastKeysMap(v: unknown): Record<string, CrossSigningKeyJson> | undefined {
  if (v === null || v === undefined) return {};
  if (!isPlainRecord(v)) return undefined;
  for (const k in v) if (!isFastCrossSigningKey(v[k])) return undefined;
  return v as Record<string, CrossSigningKeyJson>;
}

function fastQuery(json: unknown): KeysQueryResult | null {
  if (!isPlainRecord(json)) return null;
  const f = json.failures;
  // Failures are rare and small: zod words them.
  if (!(f === null || f === undefined || (isPlainRecord(f) && Object.keys(f).length === 0))) return null;
  let deviceKeys: KeysQueryResult["deviceKeys"] = {};
  const dk = json.device_keys;
  if (dk !== null && dk !== undefined) {
    if (!isPlainRecord(dk)) return null;
    for (const user in dk) {
      const devices = dk[user];
      if (!isPlainRecord(devices)) return null;
      for (const d in devices) if (!isFastDeviceKeys(devices[d])) return null;
    }
    deviceKeys = dk as KeysQueryResult["deviceKeys"];
  }
  const masterKeys = fastKeysMap(json.master_keys);
  const selfSigningKeys = fastKeysMap(json.self_signing_keys);
  const userSigningKeys = fastKeysMap(json.user_signing_keys);
  if (!masterKeys || !selfSigningKeys || !userSigningKeys) return null;
  return { deviceKeys, masterKeys, selfSigningKeys, userSigningKeys, failures: {} };
}

/** The key query answer: the hand-written fast path, zod for anything unusual. */
export const parseKeysQuery = withFastPath(querySchema, fastQuery);
export { querySchema as keysQuerySchema, fastQuery as fastKeysQuery };

export function keysApi(http: HomeserverHttp) {
  return {
    /**
     * POST /_matrix/client/v3/keys/query for all devices of `users` (an array), or for chosen devices
     * (`{ "@u:hs": ["DEVICE"] }`). `timeoutMs` is how long the server waits for remote servers (query `timeout`).
     * A read, so it is retried like a GET.
     */
    query(users: string[] | Record<string, string[]>, opts: { timeoutMs?: number } = {}): Promise<KeysQueryResult> {
      const device_keys = Array.isArray(users) ? Object.fromEntries(users.map((u) => [u, []])) : users;
      return http.post("/_matrix/client/v3/keys/query", {
        query: { timeout: opts.timeoutMs },
        body: { device_keys },
        idempotent: true,
        // Leave the server's remote wait room inside our own per-attempt timeout.
        ...(opts.timeoutMs !== undefined ? { timeoutMs: Math.max(http.timeoutMs, opts.timeoutMs + 5_000) } : {}),
        parse: parseKeysQuery,
      });
    },

    /** GET /_matrix/client/v3/room_keys/version: the CALLER's current backup, or null when there is none. */
    async roomKeysVersion(): Promise<RoomKeysVersion | null> {
      try {
        return await http.get("/_matrix/client/v3/room_keys/version", { parse: backupSchema });
      } catch (e) {
        if (isHomeserverError(e, "not_found")) return null;
        throw e;
      }
    },
  };
}

export type KeysApi = ReturnType<typeof keysApi>;

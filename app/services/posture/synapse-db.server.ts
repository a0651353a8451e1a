/**
 * Synapse's own PostgreSQL as the posture scan's source (issue 17; reference synapse-db.md). Read-only, plain SQL
 * (Synapse's PostgreSQL is often another major version than Steward's), one query per table per page of users, in
 * user-id ranges that the tables' (user_id, …) indexes answer.
 *
 * Never selected: users.password_hash, user_ips (access tokens), e2e_room_keys.session_data (backed-up keys). The
 * secret-storage blobs in account data are reduced to the ids of the keys they are encrypted under as soon as they
 * are parsed (the admin-API path reads the same documents).
 *
 * The version guard (`checkSynapseDb`) runs first: schema version in the range this code was written against, every
 * column present and readable. When it refuses, the scan goes through the admin API and the report says why.
 */
import pg from "pg";
import type { CrossSigningKeyJson, DeviceKeysJson } from "../../homeserver";

export type SqlQuery = (sql: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>;

export interface SynapseDbSource {
  query: SqlQuery;
  close(): Promise<void>;
}

/** Schema versions this code reads: SCHEMA_COMPAT_VERSION 84 up to the newest checked (94, Synapse 1.157) and a margin. */
export const SCHEMA_VERSION_MIN = 84;
export const SCHEMA_VERSION_MAX = 99;
/** PostgreSQL 11 or newer (Synapse itself needs 13+); nothing else depends on the major version. */
export const SERVER_VERSION_MIN = 110000;

/** Every table and column the scan reads. */
export const NEEDED_COLUMNS: Record<string, string[]> = {
  schema_version: ["version"],
  users: ["name", "admin", "is_guest", "user_type", "deactivated"],
  profiles: ["full_user_id", "displayname"],
  devices: ["user_id", "device_id", "display_name", "last_seen", "ip", "hidden"],
  e2e_device_keys_json: ["user_id", "device_id", "key_json"],
  e2e_cross_signing_keys: ["user_id", "keytype", "keydata", "stream_id"],
  e2e_cross_signing_signatures: ["user_id", "key_id", "target_user_id", "target_device_id", "signature"],
  account_data: ["user_id", "account_data_type", "content"],
  e2e_room_keys_versions: ["user_id", "version", "deleted"],
  e2e_room_keys: ["user_id", "version"],
};

export type GuardResult =
  | { ok: true; schemaVersion: number; serverVersion: string }
  | { ok: false; reason: string };

export function openSynapseDbSource(url: string): SynapseDbSource {
  // Defence in depth on top of the read-only role: every session starts read-only (a startup option, so it is in
  // force before the first query).
  const pool = new pg.Pool({ connectionString: url, max: 4, idleTimeoutMillis: 10_000, connectionTimeoutMillis: 10_000, options: "-c default_transaction_read_only=on" });
  pool.on("error", () => {
    // An idle client dropped by the server: the next query reconnects (and reports its own error).
  });
  return { query: async (sql, params) => (await pool.query(sql, params)).rows, close: () => pool.end() };
}

const describeError = (e: unknown) => {
  const err = e as { code?: string; message?: string };
  return `${err.code ? `${err.code} ` : ""}${(err.message ?? String(e)).slice(0, 200)}`;
};

/** Never throws: any failure is a reason to use the admin API instead. */
export async function checkSynapseDb(source: SynapseDbSource): Promise<GuardResult> {
  try {
    const [v] = await source.query("select current_setting('server_version_num')::int as num, current_setting('server_version') as version", []);
    const num = Number(v.num);
    if (num < SERVER_VERSION_MIN) return { ok: false, reason: `Synapse's database runs PostgreSQL ${String(v.version)}; Steward reads PostgreSQL 11 or newer.` };
    const tables = Object.keys(NEEDED_COLUMNS);
    const rows = await source.query(
      `select c.relname as table_name, a.attname as column_name, has_column_privilege(c.oid, a.attnum, 'SELECT') as readable
         from pg_catalog.pg_class c
         join pg_catalog.pg_namespace n on n.oid = c.relnamespace and n.nspname = any(current_schemas(false))
         join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where c.relname = any($1::text[]) and c.relkind in ('r', 'p', 'v')`,
      [tables],
    );
    const seen = new Map<string, Map<string, boolean>>();
    for (const r of rows) {
      const t = String(r.table_name);
      if (!seen.has(t)) seen.set(t, new Map());
      seen.get(t)!.set(String(r.column_name), Boolean(r.readable));
    }
    for (const [table, columns] of Object.entries(NEEDED_COLUMNS)) {
      const have = seen.get(table);
      if (!have) return { ok: false, reason: `Synapse's database has no table ${table} (or it is not in the connection's search path).` };
      const missing = columns.filter((c) => !have.has(c));
      if (missing.length) return { ok: false, reason: `Synapse's table ${table} has no column ${missing.join(", ")}: this Synapse's schema is not the one Steward reads.` };
      const denied = columns.filter((c) => !have.get(c));
      if (denied.length) return { ok: false, reason: `The database role may not read ${table} (${denied.join(", ")}): grant SELECT as the README's security section shows.` };
    }
    const [sv] = await source.query("select max(version) as version from schema_version", []);
    const schemaVersion = Number(sv?.version);
    if (!Number.isInteger(schemaVersion)) return { ok: false, reason: "Synapse's schema_version table is empty." };
    if (schemaVersion < SCHEMA_VERSION_MIN || schemaVersion > SCHEMA_VERSION_MAX) {
      return { ok: false, reason: `Synapse's schema version is ${schemaVersion}; Steward reads versions ${SCHEMA_VERSION_MIN}–${SCHEMA_VERSION_MAX}.` };
    }
    return { ok: true, schemaVersion, serverVersion: String(v.version) };
  } catch (e) {
    return { ok: false, reason: `Synapse's database could not be read: ${describeError(e)}` };
  }
}

/** Does Synapse's database hold this user? (Is SYNAPSE_DATABASE_URL the signed-in homeserver's database?) */
export async function synapseDbHasUser(source: SynapseDbSource, userId: string): Promise<boolean> {
  return (await source.query("select 1 from users where name = $1", [userId])).length > 0;
}

export async function countUsers(source: SynapseDbSource): Promise<number> {
  const [r] = await source.query("select count(*)::int as n from users where coalesce(is_guest, 0) = 0", []);
  return Number(r.n);
}

// ------------------------------------------------------------------ one page of users, one query per table

const SECRET_TYPES = ["m.cross_signing.master", "m.cross_signing.self_signing", "m.cross_signing.user_signing", "m.megolm_backup.v1"];
const FLAG_TYPES = ["m.key_backup", "m.org.matrix.custom.backup_disabled"];

const Q = {
  // Not coalesce(is_guest, 0) = 0: the planner cannot estimate it (0.5%), so it read every later user and sorted
  // them (15 ms a page, 1.5 s of Synapse's CPU at 100,000 users); this form it estimates and walks the name index.
  users: `select name, admin, user_type, deactivated from users
           where name > $1 and (is_guest = 0 or is_guest is null) order by name limit $2`,
  profiles: `select full_user_id, displayname from profiles where full_user_id > $1 and full_user_id <= $2`,
  devices: `select user_id, device_id, display_name, last_seen, ip from devices
             where user_id > $1 and user_id <= $2 and hidden is not true`,
  deviceKeys: `select user_id, device_id, key_json from e2e_device_keys_json where user_id > $1 and user_id <= $2`,
  // The current key of a type is the highest stream_id; older rows are the history of resets.
  crossSigningKeys: `select distinct on (user_id, keytype) user_id, keytype, keydata from e2e_cross_signing_keys
                      where user_id > $1 and user_id <= $2 and keytype in ('master', 'self_signing')
                      order by user_id, keytype, stream_id desc`,
  signatures: `select user_id, key_id, target_device_id, signature from e2e_cross_signing_signatures
                where user_id > $1 and user_id <= $2 and target_user_id = user_id`,
  accountData: `select user_id, account_data_type, content from account_data
                 where user_id > $1 and user_id <= $2
                   and (left(account_data_type, 17) = 'm.secret_storage.' or account_data_type = any($3::text[]))`,
  backups: `select c.user_id, c.version::text as version,
                   (select count(*) from e2e_room_keys k where k.user_id = c.user_id and k.version = c.version)::int as count
              from (select distinct on (user_id) user_id, version from e2e_room_keys_versions
                     where user_id > $1 and user_id <= $2 and deleted = 0 order by user_id, version desc) c`,
};

/** Every SQL text this module sends (tests hold it to the never-select list). */
export const SYNAPSE_DB_SQL = Object.values(Q);

export interface DbUser {
  userId: string;
  displayname: string | null;
  admin: boolean;
  userType: string | null;
  deactivated: boolean;
  devices: Array<{ deviceId: string; displayName: string | null; lastSeenTs: number | null; lastSeenIp: string | null }>;
  /** As keys/query would answer: device keys with the cross-signing signatures merged in. */
  deviceKeys: Record<string, DeviceKeysJson>;
  master?: CrossSigningKeyJson;
  selfSigning?: CrossSigningKeyJson;
  /** Global account data of the types the checks read ({} rows left out), secrets reduced to their key ids. */
  accountData: Record<string, unknown>;
  backup: { version: string; count: number } | null;
  /** Rows that could not be read (malformed JSON): the user's E2EE state is unknown. */
  malformed: string[];
}

export interface DbPage {
  users: DbUser[];
  /** The last user id of the page (the next page starts after it); null when the page is empty. */
  last: string | null;
}

type Sigs = Record<string, Record<string, string>>;

function parseJson(text: unknown): { ok: true; value: Record<string, unknown> } | { ok: false } {
  if (typeof text !== "string") return { ok: false };
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === "object" && !Array.isArray(value) ? { ok: true, value: value as Record<string, unknown> } : { ok: false };
  } catch {
    return { ok: false };
  }
}

/** Keeps only which keys a secret is encrypted under: `{encrypted: {<key id>: true}}`. */
function secretKeyIds(content: Record<string, unknown>): Record<string, unknown> {
  const enc = content.encrypted;
  if (!enc || typeof enc !== "object" || Array.isArray(enc)) return {};
  return { encrypted: Object.fromEntries(Object.keys(enc).map((k) => [k, true])) };
}

/** Reads the page of users after `after` (exclusive), at most `limit`, with all their rows. */
export async function readPage(source: SynapseDbSource, after: string, limit: number): Promise<DbPage> {
  const userRows = await source.query(Q.users, [after, limit]);
  if (!userRows.length) return { users: [], last: null };
  const last = String(userRows[userRows.length - 1].name);
  const range = [after, last];
  const [profiles, devices, deviceKeys, csKeys, sigs, accountData, backups] = await Promise.all([
    source.query(Q.profiles, range),
    source.query(Q.devices, range),
    source.query(Q.deviceKeys, range),
    source.query(Q.crossSigningKeys, range),
    source.query(Q.signatures, range),
    source.query(Q.accountData, [...range, [...SECRET_TYPES, ...FLAG_TYPES]]),
    source.query(Q.backups, range),
  ]);
  const byId = new Map<string, DbUser>();
  const users = userRows.map((r) => {
    const u: DbUser = {
      userId: String(r.name),
      displayname: null,
      admin: Number(r.admin) === 1,
      userType: r.user_type === null || r.user_type === undefined ? null : String(r.user_type),
      deactivated: Number(r.deactivated) === 1,
      devices: [],
      deviceKeys: {},
      accountData: {},
      backup: null,
      malformed: [],
    };
    byId.set(u.userId, u);
    return u;
  });
  for (const r of profiles) {
    const u = byId.get(String(r.full_user_id));
    if (u) u.displayname = r.displayname === null || r.displayname === undefined ? null : String(r.displayname);
  }
  for (const r of devices) {
    const u = byId.get(String(r.user_id));
    if (u) u.devices.push({ deviceId: String(r.device_id), displayName: r.display_name === null ? null : String(r.display_name), lastSeenTs: r.last_seen === null ? null : Number(r.last_seen), lastSeenIp: r.ip === null || r.ip === undefined ? null : String(r.ip) });
  }
  for (const r of deviceKeys) {
    const u = byId.get(String(r.user_id));
    if (!u) continue;
    const deviceId = String(r.device_id);
    // keys/query answers only for devices that exist (Synapse joins the two tables).
    if (!u.devices.some((d) => d.deviceId === deviceId)) continue;
    const parsed = parseJson(r.key_json);
    if (!parsed.ok) {
      u.malformed.push(`the keys of session ${deviceId} (e2e_device_keys_json) are not valid JSON`);
      continue;
    }
    u.deviceKeys[deviceId] = parsed.value as unknown as DeviceKeysJson;
  }
  for (const r of csKeys) {
    const u = byId.get(String(r.user_id));
    if (!u) continue;
    const parsed = parseJson(r.keydata);
    if (!parsed.ok) {
      u.malformed.push(`the ${String(r.keytype)} key (e2e_cross_signing_keys) is not valid JSON`);
      continue;
    }
    if (r.keytype === "master") u.master = parsed.value as unknown as CrossSigningKeyJson;
    else u.selfSigning = parsed.value as unknown as CrossSigningKeyJson;
  }
  // Cross-signing signatures live in their own table; keys/query merges them into the signed objects.
  const masterPub = (u: DbUser) => {
    const values = Object.values(u.master?.keys ?? {});
    return values.length === 1 ? values[0] : undefined;
  };
  for (const r of sigs) {
    const u = byId.get(String(r.user_id));
    if (!u) continue;
    const target = String(r.target_device_id);
    const obj = (u.deviceKeys[target] ?? (target === masterPub(u) ? u.master : undefined)) as { signatures?: Sigs } | undefined;
    if (!obj) continue;
    const signatures = (obj.signatures && typeof obj.signatures === "object" ? obj.signatures : (obj.signatures = {})) as Sigs;
    (signatures[u.userId] ??= {})[String(r.key_id)] = String(r.signature);
  }
  for (const r of accountData) {
    const u = byId.get(String(r.user_id));
    if (!u) continue;
    const type = String(r.account_data_type);
    const parsed = parseJson(r.content);
    if (!parsed.ok) {
      u.malformed.push(`account data ${type} is not valid JSON`);
      continue;
    }
    if (Object.keys(parsed.value).length === 0) continue; // deleted account data is kept as {}
    u.accountData[type] = SECRET_TYPES.includes(type) ? secretKeyIds(parsed.value) : parsed.value;
  }
  for (const r of backups) {
    const u = byId.get(String(r.user_id));
    if (u) u.backup = { version: String(r.version), count: Number(r.count) };
  }
  return { users, last };
}

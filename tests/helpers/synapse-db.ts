/**
 * A Synapse-shaped database for tests and the benchmark (issue 17): only the tables and columns of
 * ../shared/reference/synapse-db.md, filled from the simulator's state with Synapse's semantics — cross-signing
 * keys as hidden devices and as rows of e2e_cross_signing_keys (a reset adds rows; the highest stream_id is
 * current), a device's key_json with only its own signature and every cross-signing signature in
 * e2e_cross_signing_signatures, deleted account data kept as `{}`, backups as versions and room-key rows.
 *
 * `createSynapseTestDb()` makes its own PostgreSQL database (SYNAPSE_TEST_DATABASE_URL, else TEST_DATABASE_URL's
 * server, else postgres://postgres@127.0.0.1:5432) with a unique name; `drop()` removes it.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { SqlQuery, SynapseDbSource } from "../../app/services/posture/synapse-db.server";
import type { SimState } from "../simulator/state";
import type { SignedJson } from "../simulator/seed-posture";

export const SYNAPSE_SCHEMA = `
create table schema_version (lock char(1) not null default 'X' unique, version int not null, upgraded bool not null);
create table users (name text not null unique, password_hash text, creation_ts bigint, admin smallint not null default 0, upgrade_ts bigint,
  is_guest smallint not null default 0, appservice_id text, consent_version text, consent_server_notice_sent text, user_type text,
  deactivated smallint not null default 0, shadow_banned boolean, consent_ts bigint, approved boolean,
  locked boolean not null default false, suspended boolean not null default false);
create table profiles (user_id text not null, displayname text, avatar_url text, full_user_id text unique, fields jsonb);
create table devices (user_id text not null, device_id text not null, display_name text, last_seen bigint, ip text, user_agent text,
  hidden boolean default false, unique (user_id, device_id));
create table e2e_device_keys_json (device_id text not null, user_id text not null, ts_added_ms bigint not null, key_json text not null,
  unique (user_id, device_id));
create table e2e_cross_signing_keys (user_id text not null, keytype text not null, keydata text not null, stream_id bigint not null,
  updatable_without_uia_before_ms bigint, instance_name text, unique (user_id, keytype, stream_id));
create table e2e_cross_signing_signatures (user_id text not null, key_id text not null, target_user_id text not null,
  target_device_id text not null, signature text not null);
create index e2e_cross_signing_signatures2_idx on e2e_cross_signing_signatures (user_id, target_user_id, target_device_id);
create table account_data (user_id text not null, account_data_type text not null, stream_id bigint not null, content text not null,
  instance_name text, unique (user_id, account_data_type));
create table e2e_room_keys_versions (user_id text not null, version bigint not null, algorithm text not null, auth_data text not null,
  deleted smallint not null default 0, etag bigint, unique (user_id, version));
create table e2e_room_keys (user_id text not null, room_id text not null, session_id text not null, version bigint not null,
  first_message_index int, forwarded_count int, is_verified boolean, session_data text not null);
create index e2e_room_keys_with_version_idx on e2e_room_keys (user_id, version, room_id, session_id);
create table user_ips (user_id text not null, access_token text not null, device_id text, ip text not null, user_agent text not null,
  last_seen bigint not null);
`;

export interface SynapseTestDb {
  url: string;
  name: string;
  pool: pg.Pool;
  query: SqlQuery;
  /** A scan source on this database (its own pool, closed by the scan's owner). */
  source(): SynapseDbSource;
  drop(): Promise<void>;
}

function serverUrl(): URL {
  const given = process.env.SYNAPSE_TEST_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  return new URL(given);
}

export async function createSynapseTestDb(o: { schemaVersion?: number; schema?: string } = {}): Promise<SynapseTestDb> {
  const base = serverUrl();
  const name = `synapse_t_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(base.toString());
  u.pathname = `/${name}`;
  const url = u.toString();
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on("error", () => {});
  const query: SqlQuery = async (sql, params) => (await pool.query(sql, params)).rows;
  await pool.query(o.schema ?? SYNAPSE_SCHEMA);
  await pool.query("insert into schema_version (version, upgraded) values ($1, true)", [o.schemaVersion ?? 92]);
  return {
    url,
    name,
    pool,
    query,
    source() {
      const p = new pg.Pool({ connectionString: url, max: 4 });
      p.on("error", () => {});
      return { query: async (sql, params) => (await p.query(sql, params)).rows, close: () => p.end() };
    },
    async drop() {
      await pool.end().catch(() => {});
      const c = new pg.Client({ connectionString: base.toString() });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Splits a signed object's signatures: the ones kept in the stored JSON, and the rest (own table in Synapse). */
function splitSignatures(obj: SignedJson, keep: (signer: string, keyId: string) => boolean) {
  const stored: Record<string, Record<string, string>> = {};
  const rest: Array<{ signer: string; keyId: string; signature: string }> = [];
  for (const [signer, sigs] of Object.entries(obj.signatures ?? {})) {
    for (const [keyId, signature] of Object.entries(sigs)) {
      if (keep(signer, keyId)) (stored[signer] ??= {})[keyId] = signature;
      else rest.push({ signer, keyId, signature });
    }
  }
  return { json: { ...obj, signatures: stored }, rest };
}

const pubOf = (k: SignedJson | undefined) => (k ? (Object.values(k.keys as Record<string, string>)[0] as string) : undefined);

/** Rows per insert statement. */
const CHUNK = 5000;

async function insertRows(query: SqlQuery, table: string, columns: Array<[string, string]>, rows: unknown[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const arrays = columns.map((_, c) => chunk.map((r) => r[c]));
    const unnest = columns.map(([, t], c) => `$${c + 1}::${t}[]`).join(", ");
    await query(`insert into ${table} (${columns.map(([n]) => n).join(", ")}) select * from unnest(${unnest})`, arrays);
  }
}

/**
 * Writes the simulator's users, devices, keys, signatures, account data and backups in Synapse's shape.
 * `roomKeysCap`: at most this many e2e_room_keys rows per backup version (the benchmark's 100,000 users would
 * otherwise need ~100 million rows); the key count read back is then the cap, on both scan paths alike.
 */
export async function writeSimulatorState(query: SqlQuery, state: SimState, o: { roomKeysCap?: number } = {}): Promise<void> {
  const users: unknown[][] = [];
  const profiles: unknown[][] = [];
  const devices: unknown[][] = [];
  const deviceKeys: unknown[][] = [];
  const csKeys: unknown[][] = [];
  const sigs: unknown[][] = [];
  const accountData: unknown[][] = [];
  const versions: unknown[][] = [];
  const roomKeys: unknown[][] = [];
  let stream = 1;
  for (const u of state.users.values()) {
    users.push([u.name, Math.floor(u.creation_ts / 1000), u.admin ? 1 : 0, u.is_guest ? 1 : 0, u.user_type, u.deactivated ? 1 : 0, u.locked]);
    profiles.push([u.localpart, u.displayname, u.name]);
  }
  for (const [userId, map] of state.devices) {
    for (const d of map.values()) devices.push([userId, d.device_id, d.display_name, d.last_seen_ts, d.last_seen_ip, Boolean(d.hidden)]);
  }
  const hidden = new Set(devices.map((d) => `${d[0]}\u0000${d[1]}`));
  for (const [userId, k] of state.posture.keys) {
    for (const [deviceId, dk] of k.devices) {
      // key_json holds only the device's own signature; cross-signing signatures are rows of their own table.
      const { json, rest } = splitSignatures(dk, (signer, keyId) => signer === userId && keyId === `ed25519:${deviceId}`);
      deviceKeys.push([userId, deviceId, 0, JSON.stringify(json)]);
      for (const s of rest) sigs.push([s.signer, s.keyId, userId, deviceId, s.signature]);
    }
    const generations = [...(k.history ?? []), { master: k.master, selfSigning: k.selfSigning, userSigning: k.userSigning }];
    for (const g of generations) {
      for (const [keytype, key, label] of [["master", g.master, "master"], ["self_signing", g.selfSigning, "self_signing"], ["user_signing", g.userSigning, "user_signing"]] as const) {
        if (!key) continue;
        const pub = pubOf(key)!;
        // A device's signature of the master key (ed25519:<device id>) is a signature row too.
        const { json, rest } = splitSignatures(key, (signer, keyId) => signer === userId && !(keytype === "master" && keyId !== `ed25519:${pub}`));
        csKeys.push([userId, keytype, JSON.stringify(json), stream++]);
        for (const s of rest) sigs.push([s.signer, s.keyId, userId, pub, s.signature]);
        // Cross-signing public keys are hidden devices.
        if (!hidden.has(`${userId}\u0000${pub}`)) {
          hidden.add(`${userId}\u0000${pub}`);
          devices.push([userId, pub, `${label} signing key`, null, null, true]);
        }
      }
    }
  }
  for (const [userId, ad] of state.accountData) {
    for (const [type, content] of Object.entries(ad.global)) accountData.push([userId, type, stream++, JSON.stringify(content)]);
  }
  for (const [userId, list] of state.posture.backups) {
    for (const b of list) {
      versions.push([userId, Number(b.version), b.algorithm, JSON.stringify(b.auth_data), b.deleted ? 1 : 0, Number(b.etag) || 0]);
      roomKeys.push([userId, Number(b.version), Math.min(b.count, o.roomKeysCap ?? b.count)]);
    }
  }
  await insertRows(query, "users", [["name", "text"], ["creation_ts", "bigint"], ["admin", "smallint"], ["is_guest", "smallint"], ["user_type", "text"], ["deactivated", "smallint"], ["locked", "boolean"]], users);
  await insertRows(query, "profiles", [["user_id", "text"], ["displayname", "text"], ["full_user_id", "text"]], profiles);
  await insertRows(query, "devices", [["user_id", "text"], ["device_id", "text"], ["display_name", "text"], ["last_seen", "bigint"], ["ip", "text"], ["hidden", "boolean"]], devices);
  await insertRows(query, "e2e_device_keys_json", [["user_id", "text"], ["device_id", "text"], ["ts_added_ms", "bigint"], ["key_json", "text"]], deviceKeys);
  await insertRows(query, "e2e_cross_signing_keys", [["user_id", "text"], ["keytype", "text"], ["keydata", "text"], ["stream_id", "bigint"]], csKeys);
  await insertRows(query, "e2e_cross_signing_signatures", [["user_id", "text"], ["key_id", "text"], ["target_user_id", "text"], ["target_device_id", "text"], ["signature", "text"]], sigs);
  await insertRows(query, "account_data", [["user_id", "text"], ["account_data_type", "text"], ["stream_id", "bigint"], ["content", "text"]], accountData);
  await insertRows(query, "e2e_room_keys_versions", [["user_id", "text"], ["version", "bigint"], ["algorithm", "text"], ["auth_data", "text"], ["deleted", "smallint"], ["etag", "bigint"]], versions);
  for (let i = 0; i < roomKeys.length; i += CHUNK) {
    const chunk = roomKeys.slice(i, i + CHUNK);
    await query(
      `insert into e2e_room_keys (user_id, room_id, session_id, version, first_message_index, forwarded_count, is_verified, session_data)
       select t.u, '!room:sim', 's' || g, t.v, 0, 0, false, '{}' from unnest($1::text[], $2::bigint[], $3::int[]) as t(u, v, n), generate_series(1, t.n) g`,
      [chunk.map((r) => r[0]), chunk.map((r) => r[1]), chunk.map((r) => r[2])],
    );
  }
  await query("analyze", []);
}

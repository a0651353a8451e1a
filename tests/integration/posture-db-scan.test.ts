// The posture scan from Synapse's own database (issue 17): over random worlds the database path gives exactly the
// verdicts of the admin-API path (fast-check), and its faults — a role without SELECT, a missing column, a schema
// version out of range, another server's database, a dropped connection mid-scan (resumed), malformed JSON in a row,
// a Synapse database on another PostgreSQL major — fall back, resume or mark the one user unknown, as promised.
// Synapse's database is always a real PostgreSQL here (127.0.0.1:5432), even when Steward's own is PGlite.
import { PGlite } from "@electric-sql/pglite";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asc, eq } from "drizzle-orm";
import { createHomeserverClient } from "../../app/homeserver/index";
import { runPostureScan, type PostureScanDeps } from "../../app/services/posture/scan.server";
import type { PostureSettings } from "../../app/services/posture/settings.server";
import { POSTURE_DEFAULTS } from "../../app/config.server";
import { synapseBackupReaderFrom } from "../../app/services/posture/backup.server";
import { checkSynapseDb, SYNAPSE_DB_SQL, type SynapseDbSource } from "../../app/services/posture/synapse-db.server";
import { scanPathOf } from "../../app/services/posture/scan-path";
import { postureScans, postureUsers } from "../../db/schema";
import { createTestDb, type TestDatabase } from "../helpers/db";
import { createSynapseTestDb, SYNAPSE_SCHEMA, writeSimulatorState, type SynapseTestDb } from "../helpers/synapse-db";
import { startSimulator, type Simulator } from "../simulator/index";
import { createBackup, setUpCrossSigning, setUpSecretStorage } from "../simulator/seed-posture";

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const settings = (over: Partial<PostureSettings> = {}): PostureSettings => ({ ...POSTURE_DEFAULTS, ...over });

/** Every stored verdict of a scan, comparable across paths (device lists in id order). */
async function verdictsOf(db: TestDatabase, scanId: number): Promise<Array<Record<string, unknown>>> {
  const rows = await db.db.select().from(postureUsers).where(eq(postureUsers.scanId, scanId)).orderBy(asc(postureUsers.userId));
  return rows.map(({ scanId: _s, scannedAt: _t, id: _i, ...r }: Record<string, unknown>) => ({
    ...r,
    deviceList: [...((r.deviceList as Array<{ id: string }>) ?? [])].sort((a, b) => (a.id < b.id ? -1 : 1)),
  }));
}

async function notesOf(db: TestDatabase, scanId: number): Promise<string[]> {
  const [s] = await db.db.select().from(postureScans).where(eq(postureScans.id, scanId));
  return s.notes ?? [];
}

/** Both paths on one world: the admin API (backups from the same Synapse database) and the database path. */
async function bothWays(sim: Simulator, synapse: SynapseTestDb, extra: Partial<PostureScanDeps> = {}) {
  const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken });
  const apiDb = await createTestDb();
  const dbDb = await createTestDb();
  try {
    const api = await runPostureScan({
      db: apiDb.db,
      hs,
      now: () => new Date(NOW),
      settings: settings(),
      synapseSource: null,
      synapseDb: synapseBackupReaderFrom(async (sql, params) => (await synapse.query(sql, params)) as never),
    });
    const before = sim.requestLog.length;
    const source = synapse.source();
    const fromDb = await runPostureScan({ db: dbDb.db, hs, now: () => new Date(NOW), settings: settings(), synapseSource: source, ...extra }).finally(() => source.close());
    const requests = sim.requestLog.slice(before).map((r) => r.path);
    return { api, fromDb, requests, apiRows: await verdictsOf(apiDb, api.scanId), dbRows: await verdictsOf(dbDb, fromDb.scanId), dbNotes: await notesOf(dbDb, fromDb.scanId) };
  } finally {
    await apiDb.close();
    await dbDb.close();
  }
}

describe("the database path reaches the admin-API path's verdicts", () => {
  it("on random worlds: resets, old-key signatures, keyless devices, deleted account data, deactivated and guest users, backup without secret storage", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.array(fc.tuple(fc.constantFrom("reset", "delete_ad", "backup", "delete_backup", "keyless_device", "secret_storage"), fc.nat()), { maxLength: 12 }),
        async (seed, actions) => {
          const sim = await startSimulator({ users: 14, seed, now: () => NOW });
          const synapse = await createSynapseTestDb();
          try {
            const { state } = sim;
            const ids = [...state.users.values()].filter((u) => !u.is_guest && !u.deactivated && u.localpart !== "admin").map((u) => u.name);
            for (const [action, n] of actions) {
              const id = ids[n % ids.length];
              if (action === "reset") setUpCrossSigning(state, id); // devices keep signatures by the old self-signing key
              else if (action === "delete_ad") {
                const global = state.accountData.get(id)?.global;
                const types = Object.keys(global ?? {});
                if (types.length) global![types[n % types.length]] = {}; // Synapse keeps deleted account data as {}
              } else if (action === "backup") createBackup(state, id, 1 + (n % 50)); // maybe without secret storage
              else if (action === "delete_backup") {
                const list = state.posture.backups.get(id);
                if (list?.length) list[list.length - 1].deleted = true;
              } else if (action === "keyless_device") {
                const deviceId = `NOKEYS${n % 1000}`;
                let map = state.devices.get(id);
                if (!map) state.devices.set(id, (map = new Map()));
                map.set(deviceId, { user_id: id, device_id: deviceId, display_name: null, last_seen_ip: null, last_seen_ts: NOW - (n % 200) * 86_400_000, last_seen_user_agent: null });
              } else if (action === "secret_storage") setUpSecretStorage(state, id, n % 2 === 0);
            }
            await createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken }).auth.whoami();
            await writeSimulatorState(synapse.query, state);
            const r = await bothWays(sim, synapse);
            expect(r.fromDb.path).toBe("database");
            expect(r.api.path).toBe("api");
            expect(r.dbRows.length).toBe(r.apiRows.length);
            expect(r.dbRows).toEqual(r.apiRows);
            // No homeserver request per user: one whoami for the whole scan.
            expect(r.requests.length).toBeLessThanOrEqual(1);
            expect(scanPathOf(r.dbNotes)).toMatch(/^Made from Synapse's database \(schema version 92/);
          } finally {
            await synapse.drop();
            await sim.close();
          }
        },
      ),
      { numRuns: 6 },
    );
  }, 600_000);
});

describe("faults of the database path", () => {
  let sim: Simulator;
  let synapse: SynapseTestDb;
  const roles: string[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ users: 40, seed: 11, now: () => NOW });
    synapse = await createSynapseTestDb();
    // The admin's own session is seen on its first request: make it before the state is copied.
    await hs().auth.whoami();
    await writeSimulatorState(synapse.query, sim.state);
  }, 300_000);
  afterAll(async () => {
    await synapse.drop();
    const c = new pg.Client({ connectionString: new URL("/postgres", synapse.url).toString() });
    await c.connect();
    for (const role of roles) await c.query(`drop role if exists ${role}`).catch(() => {});
    await c.end();
    await sim.close();
  }, 300_000);

  const hs = () => createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken });

  async function scanWith(source: SynapseDbSource, over: Partial<PostureScanDeps> = {}) {
    const db = await createTestDb();
    try {
      const r = await runPostureScan({ db: db.db, hs: hs(), now: () => new Date(NOW), settings: settings(), synapseSource: source, ...over });
      return { r, rows: await verdictsOf(db, r.scanId), notes: await notesOf(db, r.scanId) };
    } finally {
      await db.close();
    }
  }

  /** A login role with the README's grants, minus `without` (table names). */
  async function roleSource(without: string[] = []): Promise<SynapseDbSource> {
    const role = `steward_ro_${process.pid}_${roles.length}_${Date.now() % 100000}`;
    roles.push(role);
    const tables = ["schema_version", "profiles", "devices", "e2e_device_keys_json", "e2e_cross_signing_keys", "e2e_cross_signing_signatures", "account_data", "e2e_room_keys_versions", "e2e_room_keys"].filter((t) => !without.includes(t));
    await synapse.query(`create role ${role} login`, []);
    await synapse.query(`grant select on ${tables.join(", ")} to ${role}`, []);
    if (!without.includes("users")) await synapse.query(`grant select (name, admin, is_guest, user_type, deactivated) on users to ${role}`, []);
    const u = new URL(synapse.url);
    u.username = role;
    const { openSynapseDbSource } = await import("../../app/services/posture/synapse-db.server");
    return openSynapseDbSource(u.toString());
  }

  it("never selects password hashes, access tokens or backed-up keys", () => {
    for (const sql of SYNAPSE_DB_SQL) expect(sql).not.toMatch(/password_hash|access_token|session_data|user_ips|select \*/);
  });

  it("works with the README's read-only role (users by column only), and falls back when a table is not granted", async () => {
    const ok = await roleSource();
    const good = await scanWith(ok).finally(() => ok.close());
    expect(good.r.path).toBe("database");
    const denied = await roleSource(["e2e_cross_signing_signatures"]);
    const bad = await scanWith(denied).finally(() => denied.close());
    expect(bad.r.path).toBe("api");
    expect(scanPathOf(bad.notes)).toMatch(/^Made through the admin API: Synapse's database was not used\. The database role may not read e2e_cross_signing_signatures/);
    // The fallback reaches the same verdicts (its backups come from the admin API's inference here, so compare the rest).
    const strip = (rows: Array<Record<string, unknown>>) => rows.map(({ keyBackup: _k, fullySecured: _f, backupSource: _b, backupVersion: _v, backupKeyCount: _c, notes: _n, ...r }) => r);
    expect(strip(bad.rows)).toEqual(strip(good.rows));
  }, 300_000);

  it("falls back with the reason on a missing column and on a schema version out of range", async () => {
    const other = await createSynapseTestDb({ schemaVersion: 92 });
    try {
      await writeSimulatorState(other.query, sim.state);
      await other.query("alter table devices drop column hidden", []);
      const s1 = other.source();
      const missing = await scanWith(s1).finally(() => s1.close());
      expect(missing.r.path).toBe("api");
      expect(scanPathOf(missing.notes)).toContain("Synapse's table devices has no column hidden");
      await other.query("alter table devices add column hidden boolean default false", []);
      await other.query("update schema_version set version = 140", []);
      const s2 = other.source();
      expect(await checkSynapseDb(s2)).toEqual({ ok: false, reason: "Synapse's schema version is 140; Steward reads versions 84–99." });
      await s2.close();
    } finally {
      await other.drop();
    }
  }, 300_000);

  it("refuses another server's database (the signed-in admin is not in it) and an old PostgreSQL", async () => {
    const other = await createSynapseTestDb();
    try {
      const s = other.source();
      const r = await scanWith(s).finally(() => s.close());
      expect(r.r.path).toBe("api");
      expect(scanPathOf(r.notes)).toContain(`has no user @admin:${sim.serverName}`);
    } finally {
      await other.drop();
    }
    const old: SynapseDbSource = {
      query: async (sql) => (sql.includes("server_version_num") ? [{ num: 100023, version: "10.23" }] : []),
      close: async () => {},
    };
    expect(await checkSynapseDb(old)).toEqual({ ok: false, reason: "Synapse's database runs PostgreSQL 10.23; Steward reads PostgreSQL 11 or newer." });
  }, 300_000);

  it("a dropped connection mid-scan fails the run; the next run resumes after the last page written and ends with every verdict", async () => {
    const db = await createTestDb();
    try {
      const full = await scanWith(synapse.source());
      const inner = synapse.source();
      let deviceReads = 0;
      const flaky: SynapseDbSource = {
        query: async (sql, params) => {
          // The third page's reads lose the connection (the first two pages are written by then).
          if (sql.includes("from devices") && ++deviceReads === 3) throw new Error("Connection terminated unexpectedly");
          return inner.query(sql, params);
        },
        close: () => inner.close(),
      };
      const deps = { db: db.db, hs: hs(), now: () => new Date(NOW), settings: settings(), synapseSource: flaky, dbPageUsers: 10 };
      await expect(runPostureScan(deps)).rejects.toThrow(/Connection terminated/);
      const [running] = await db.db.select().from(postureScans).where(eq(postureScans.status, "running"));
      expect(running.usersScanned).toBe(20);
      expect(running.cursor).toMatch(/^db:@/);
      const again = await runPostureScan(deps);
      await inner.close();
      expect(again).toMatchObject({ status: "complete", resumed: true, path: "database", scanId: running.id });
      expect(await verdictsOf(db, again.scanId)).toEqual(full.rows);
    } finally {
      await db.close();
    }
  }, 300_000);

  it("malformed JSON in a row makes that user unknown with the reason, and the scan goes on", async () => {
    const other = await createSynapseTestDb();
    try {
      await writeSimulatorState(other.query, sim.state);
      const withKeys = await other.query("select user_id, device_id from e2e_device_keys_json order by user_id limit 1", []);
      const withAd = await other.query("select user_id from account_data where user_id <> $1 order by user_id desc limit 1", [withKeys[0].user_id]);
      await other.query("update e2e_device_keys_json set key_json = '{\"keys\": ' where user_id = $1 and device_id = $2", [withKeys[0].user_id, withKeys[0].device_id]);
      await other.query("update account_data set content = 'not json' where user_id = $1", [withAd[0].user_id]);
      const s = other.source();
      const r = await scanWith(s).finally(() => s.close());
      const s0 = synapse.source();
      const good = await scanWith(s0).finally(() => s0.close());
      expect(r.r).toMatchObject({ status: "complete", path: "database" });
      const broken = new Set([withKeys[0].user_id, withAd[0].user_id]);
      for (const row of r.rows) {
        if (!broken.has(row.userId as string)) continue;
        expect(row).toMatchObject({ crossSigning: "unknown", recovery: "unknown", noUnverifiedSessions: "unknown" });
        expect(String((row.notes as Record<string, string>).cross_signing)).toMatch(/Synapse database: .*not valid JSON/);
      }
      expect(r.rows.filter((row) => !broken.has(row.userId as string))).toEqual(good.rows.filter((row) => !broken.has(row.userId as string)));
    } finally {
      await other.drop();
    }
  }, 300_000);

  it("reads a Synapse database on another PostgreSQL major (PGlite's) to the same verdicts", async () => {
    const lite = await PGlite.create();
    try {
      await lite.exec(SYNAPSE_SCHEMA);
      await lite.query("insert into schema_version (version, upgraded) values (92, true)");
      const query = async (sql: string, params: unknown[]) => (await lite.query(sql, params)).rows as Array<Record<string, unknown>>;
      await writeSimulatorState(query, sim.state);
      const [a] = await query("select current_setting('server_version_num')::int as n", []);
      const [b] = await synapse.query("select current_setting('server_version_num')::int as n", []);
      expect(Math.floor(Number(a.n) / 10000)).not.toBe(Math.floor(Number(b.n) / 10000));
      const r = await scanWith({ query, close: async () => {} });
      const s0 = synapse.source();
      const good = await scanWith(s0).finally(() => s0.close());
      expect(r.r.path).toBe("database");
      expect(r.rows).toEqual(good.rows);
    } finally {
      await lite.close();
    }
  }, 300_000);
});

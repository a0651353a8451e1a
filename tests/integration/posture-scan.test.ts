// The posture scan against the simulator: every seeded posture's verdict equals the truth computed here from the
// simulator's state (with this file's own signature check), a crashed scan resumes to the same result, the msc4263
// caveat is detected, and both exact backup sources (Synapse's database, login-as) report exactly.
import crypto from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { createHomeserverClient, type HomeserverClient } from "../../app/homeserver/index";
import { runPostureScan } from "../../app/services/posture/scan.server";
import type { PostureSettings } from "../../app/services/posture/settings.server";
import { POSTURE_DEFAULTS } from "../../app/config.server";
import { synapseBackupReaderFrom } from "../../app/services/posture/backup.server";
import { auditEvents, postureScans, postureUsers } from "../../db/schema";
import { createTestDb, usingPostgres, type TestDatabase } from "../helpers/db";
import { startSimulator, type Simulator } from "../simulator/index";
import { currentBackup, publicKeyOf, simCanonicalJson, type PostureKind } from "../simulator/seed-posture";
import { listDevices } from "../simulator/state";

let sim: Simulator;
let hs: HomeserverClient;
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const settings = (over: Partial<PostureSettings> = {}): PostureSettings => ({ ...POSTURE_DEFAULTS, ...over });

beforeAll(async () => {
  sim = await startSimulator({ users: 60, seed: 7, now: () => NOW });
  hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken });
});
afterAll(async () => {
  await sim.close();
});

// ------------------------------------------------------------------ the truth, from the simulator's state

function verify(obj: Record<string, unknown>, signer: string, pub: string): boolean {
  const sig = (obj.signatures as Record<string, Record<string, string>> | undefined)?.[signer]?.[`ed25519:${pub}`];
  if (!sig) return false;
  const { signatures: _s, unsigned: _u, ...rest } = obj;
  const key = crypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(pub, "base64").toString("base64url") }, format: "jwk" });
  return crypto.verify(null, Buffer.from(simCanonicalJson(rest)), key, Buffer.from(sig, "base64"));
}

function truth(userId: string, source: "account_data" | "exact") {
  const { state } = sim;
  const keys = state.posture.keys.get(userId);
  const mk = publicKeyOf(keys?.master);
  const ssk = publicKeyOf(keys?.selfSigning);
  const crossSigning = mk && ssk && verify(keys!.selfSigning!, userId, mk) ? "ok" : "missing";
  let unverified = 0;
  for (const d of listDevices(state, userId)) {
    const dk = keys?.devices.get(d.device_id);
    if (dk && crossSigning === "ok" && !verify(dk, userId, ssk!)) unverified++;
  }
  const global = state.accountData.get(userId)?.global ?? {};
  const keyId = (global["m.secret_storage.default_key"] as { key?: string } | undefined)?.key;
  const inStorage = (t: string) => Boolean(keyId && (global[t] as { encrypted?: object } | undefined)?.encrypted && keyId in (global[t] as { encrypted: object }).encrypted);
  const recovery =
    keyId && global[`m.secret_storage.key.${keyId}`] && ["master", "self_signing", "user_signing"].every((t) => inStorage(`m.cross_signing.${t}`)) ? "ok" : "missing";
  const backup = source === "exact" ? (currentBackup(state, userId) ? "ok" : "missing") : inStorage("m.megolm_backup.v1") ? "ok" : "unknown";
  const noUnverified = unverified > 0 ? "missing" : "ok";
  const all = [crossSigning, recovery, backup, noUnverified];
  const fully = all.includes("missing") ? "missing" : all.includes("unknown") ? "unknown" : "ok";
  return { crossSigning, recovery, keyBackup: backup, noUnverifiedSessions: noUnverified, fullySecured: fully, unverifiedDevices: unverified };
}

async function rowsOf(database: TestDatabase, scanId: number) {
  return database.db.select().from(postureUsers).where(eq(postureUsers.scanId, scanId)).orderBy(postureUsers.userId);
}

const scannedUsers = () => [...sim.state.users.values()].filter((u) => !u.is_guest).map((u) => u.name).sort();

describe("posture scan", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDb();
  });
  afterAll(async () => {
    await database.close();
  });

  it("gives every seeded posture the verdict computed from the simulator's state", async () => {
    const r = await runPostureScan({ db: database.db, hs, now: () => new Date(NOW), settings: settings() });
    expect(r.status).toBe("complete");
    expect(r.backupSource).toBe("account_data");
    const rows = await rowsOf(database, r.scanId);
    expect(rows.map((x) => x.userId)).toEqual(scannedUsers());
    const kinds = new Set<PostureKind>();
    for (const row of rows) {
      const t = truth(row.userId, "account_data");
      const { crossSigning, recovery, keyBackup, noUnverifiedSessions, fullySecured, unverifiedDevices } = row;
      expect({ crossSigning, recovery, keyBackup, noUnverifiedSessions, fullySecured, unverifiedDevices }, row.userId).toEqual(t);
      const kind = sim.state.posture.assigned.get(row.userId);
      if (kind) kinds.add(kind);
    }
    // Every posture is represented, and the named ones look as the issue describes.
    expect([...kinds].sort()).toEqual(
      ["backup_only", "bot", "cross_signing_only", "deactivated", "deactivated_with_keys", "device_without_keys", "full", "never_set_up", "unverified_session"].sort(),
    );
    const byKind = (k: PostureKind) => rows.filter((x) => sim.state.posture.assigned.get(x.userId) === k);
    expect(byKind("full").every((x) => x.fullySecured === "ok")).toBe(true);
    // Backup-only users have no account data, so the inferred source must say unknown — never missing.
    expect(byKind("backup_only").every((x) => x.keyBackup === "unknown" && x.crossSigning === "missing")).toBe(true);
    expect(byKind("cross_signing_only").every((x) => x.crossSigning === "ok" && x.recovery === "missing")).toBe(true);
    expect(byKind("unverified_session").every((x) => x.unverifiedDevices === 1 && x.noUnverifiedSessions === "missing")).toBe(true);
    expect(byKind("device_without_keys").every((x) => x.noKeyDevices === x.devices && x.devices > 0)).toBe(true);
    expect(byKind("deactivated_with_keys").every((x) => x.category === "deactivated" && x.crossSigning === "ok")).toBe(true);
    expect(byKind("bot").every((x) => x.category === "bot" || x.category === "support")).toBe(true);
    // Requests: at most 2 per user plus one key query and one list page per batch (+ whoami).
    const pages = Math.ceil(rows.length / 200);
    expect(r.requests).toBeLessThanOrEqual(2 * rows.length + 2 * pages + 1);
    const [scan] = await database.db.select().from(postureScans).where(eq(postureScans.id, r.scanId));
    expect(scan.status).toBe("complete");
    expect(scan.summary!.users).toBe(rows.length);
    expect(scan.summary!.checks.fully_secured.ok).toBe(rows.filter((x) => x.fullySecured === "ok").length);
  });

  it("a scan that crashes halfway resumes where it stopped and ends with the same result", async () => {
    const reference = await createTestDb();
    try {
      const whole = await runPostureScan({ db: reference.db, hs, now: () => new Date(NOW), settings: settings({ batchSize: 7 }) });
      let pages = 0;
      const crash = runPostureScan({
        db: database.db,
        hs,
        now: () => new Date(NOW),
        settings: settings({ batchSize: 7 }),
        afterPage: () => {
          if (++pages === 3) throw new Error("killed");
        },
      });
      await expect(crash).rejects.toThrow("killed");
      const [open] = await database.db.select().from(postureScans).where(eq(postureScans.status, "running"));
      expect(open.usersScanned).toBe(21);
      const before = sim.requestLog.length;
      const resumed = await runPostureScan({ db: database.db, hs, now: () => new Date(NOW), settings: settings({ batchSize: 7 }) });
      expect(resumed.resumed).toBe(true);
      expect(resumed.scanId).toBe(open.id);
      expect(resumed.status).toBe("complete");
      // It did not start over: the first page was not listed again.
      const listed = sim.requestLog.slice(before).filter((e) => e.path === "/_synapse/admin/v3/users").map((e) => new URLSearchParams(e.query).get("from"));
      expect(listed[0]).toBe("21");
      const strip = (rows: Awaited<ReturnType<typeof rowsOf>>) => rows.map(({ scanId: _s, scannedAt: _t, ...rest }) => rest);
      expect(strip(await rowsOf(database, resumed.scanId))).toEqual(strip(await rowsOf(reference, whole.scanId)));
    } finally {
      await reference.close();
    }
  });

  it("detects keys/query limited to shared rooms (msc4263) and says unknown instead of missing", async () => {
    sim.state.posture.limitKeyQueriesToSharedRooms = true;
    try {
      const r = await runPostureScan({ db: database.db, hs, now: () => new Date(NOW), settings: settings() });
      expect(r.keyQueryLimited).toBe(true);
      const rows = await rowsOf(database, r.scanId);
      const others = rows.filter((x) => x.userId !== `@admin:${sim.serverName}`);
      expect(others.every((x) => x.crossSigning === "unknown")).toBe(true);
      expect(rows.some((x) => x.crossSigning === "missing" && x.userId !== `@admin:${sim.serverName}`)).toBe(false);
      const [scan] = await database.db.select().from(postureScans).where(eq(postureScans.id, r.scanId));
      expect(scan.notes?.join(" ")).toMatch(/msc4263/);
    } finally {
      sim.state.posture.limitKeyQueriesToSharedRooms = false;
    }
  });

  it("reads exact backup state from Synapse's database (read-only tables) and labels it", async () => {
    const ddl = [
      "create table e2e_room_keys_versions (user_id text not null, version bigint not null, algorithm text not null, auth_data text not null, deleted smallint default 0 not null, etag bigint)",
      "create table e2e_room_keys (user_id text not null, room_id text not null, session_id text not null, version bigint not null, first_message_index int, forwarded_count int, is_verified boolean, session_data text not null)",
    ];
    let query: (sql: string, params: unknown[]) => Promise<Array<{ user_id: string; version: string; count: number }>>;
    let close: () => Promise<void>;
    if (usingPostgres) {
      const url = new URL(process.env.TEST_DATABASE_URL!);
      const name = `synapse_scratch_${process.pid}`;
      const admin = new pg.Client({ connectionString: url.toString() });
      await admin.connect();
      await admin.query(`drop database if exists ${name}`);
      await admin.query(`create database ${name}`);
      url.pathname = `/${name}`;
      const pool = new pg.Pool({ connectionString: url.toString() });
      // Dropping the scratch database "with (force)" ends connections still closing; that is expected here.
      pool.on("error", () => {});
      for (const s of ddl) await pool.query(s);
      query = async (s, p) => (await pool.query(s, p)).rows;
      close = async () => {
        await pool.end();
        await admin.query(`drop database if exists ${name} with (force)`);
        await admin.end();
      };
    } else {
      const lite = new PGlite();
      for (const s of ddl) await lite.exec(s);
      query = async (s, p) => (await lite.query<{ user_id: string; version: string; count: number }>(s, p)).rows;
      close = () => lite.close();
    }
    try {
      // Fill the tables from the simulator's truth; an older, deleted version must not count.
      for (const [userId, versions] of sim.state.posture.backups) {
        for (const v of versions) {
          await query("insert into e2e_room_keys_versions values ($1, $2, $3, '{}', $4, 0)", [userId, Number(v.version), v.algorithm, v.deleted ? 1 : 0]);
          for (let i = 0; i < Math.min(v.count, 3); i++) {
            await query("insert into e2e_room_keys values ($1, '!r:x', $2, $3, 0, 0, false, '{}')", [userId, `s${i}`, Number(v.version)]);
          }
        }
        await query("insert into e2e_room_keys_versions values ($1, 99, 'x', '{}', 1, 0)", [userId]);
      }
      const reader = synapseBackupReaderFrom(query);
      const r = await runPostureScan({ db: database.db, hs, now: () => new Date(NOW), settings: settings(), synapseDb: reader });
      expect(r.backupSource).toBe("database");
      const rows = await rowsOf(database, r.scanId);
      for (const row of rows) {
        expect(row.keyBackup, row.userId).toBe(truth(row.userId, "exact").keyBackup);
        expect(row.backupSource).toBe("database");
        const b = currentBackup(sim.state, row.userId);
        if (b) expect([row.backupVersion, row.backupKeyCount]).toEqual([b.version, Math.min(b.count, 3)]);
      }
      expect(rows.some((x) => x.keyBackup === "missing")).toBe(true);
      expect(rows.some((x) => x.keyBackup === "unknown")).toBe(false);
    } finally {
      await close();
    }
  });

  it("opt-in login-as reads each user's own backup version, audits it, and logs the token out", async () => {
    const tokensBefore = sim.state.tokens.size;
    const r = await runPostureScan({ db: database.db, hs, now: () => new Date(NOW), settings: settings({ backupViaLoginAs: true }) });
    expect(r.backupSource).toBe("login_as");
    const rows = await rowsOf(database, r.scanId);
    const admin = `@admin:${sim.serverName}`;
    for (const row of rows.filter((x) => x.category !== "deactivated" && x.userId !== admin)) {
      expect(row.backupSource).toBe("login_as");
      // A locked user's token is refused (401 M_USER_LOCKED), so their backup stays unknown — never missing.
      const locked = sim.state.users.get(row.userId)!.locked;
      expect(row.keyBackup, row.userId).toBe(locked ? "unknown" : truth(row.userId, "exact").keyBackup);
    }
    expect(sim.state.tokens.size).toBe(tokensBefore);
    const audits = await database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "posture.backup_login_as"), eq(auditEvents.actor, admin)));
    expect(audits.length).toBe(rows.filter((x) => x.category !== "deactivated" && x.userId !== admin).length);
  });
});

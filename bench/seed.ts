/**
 * Seeding shared by the benchmark scenarios: scratch databases (PGlite, and PostgreSQL when BENCH_DATABASE_URL is
 * set), 100,000 realistic accounts, a year of user-count snapshots, 10,000 federation destinations and a posture
 * scan of 100,000 users. Scenarios that measure a step (a collection, say) call the pieces before and after it
 * themselves; the load scenario calls them all to fill one database for the real server.
 */
import pg from "pg";
import { eq, sql } from "drizzle-orm";
import { openDatabase, type Database } from "../db/client";
import { postureScans } from "../db/schema";
import { loadConfig } from "../app/config.server";
import { createLogger } from "../app/services/observability/log.server";
import { createHomeserverClient } from "../app/homeserver/index";
import { runCollector } from "../app/services/collectors/framework.server";
import { userCountsCollector } from "../app/services/users/counts-collector.server";
import { collectFederation } from "../app/services/federation/collect.server";
import { addUser, startSimulator, type Simulator } from "../tests/simulator/index";
import { seedManyDestinations } from "../tests/simulator/seed-federation";

// ------------------------------------------------------------------ scratch databases

export interface ScratchPostgres {
  /** Connection string of the new database. */
  url: string;
  drop(): Promise<void>;
}

/** Creates database `name` on the server of `baseUrl`; `drop()` removes it again (closing whoever still uses it). */
export async function createScratchPostgres(baseUrl: string, name: string): Promise<ScratchPostgres> {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const a = new pg.Client({ connectionString: baseUrl });
      await a.connect();
      try {
        await a.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}

export interface BenchDatabase {
  label: "PGlite" | "PostgreSQL";
  database: Database;
  drop(): Promise<void>;
}

/** A fresh PostgreSQL database `steward_bench_<tag>_<pid>` on BENCH_DATABASE_URL's server, opened (not migrated). */
export async function openScratchPostgres(baseUrl: string, tag: string): Promise<BenchDatabase> {
  const scratch = await createScratchPostgres(baseUrl, `steward_bench_${tag}_${process.pid}`);
  return { label: "PostgreSQL", database: await openDatabase({ url: scratch.url }), drop: scratch.drop };
}

/** In-memory PGlite always, plus a scratch PostgreSQL database when BENCH_DATABASE_URL is set (none migrated yet). */
export async function benchDatabases(tag: string): Promise<BenchDatabase[]> {
  const out: BenchDatabase[] = [{ label: "PGlite", database: await openDatabase({}), drop: async () => {} }];
  const url = process.env.BENCH_DATABASE_URL;
  if (url) out.push(await openScratchPostgres(url, tag));
  return out;
}

// ------------------------------------------------------------------ accounts (simulator)

/**
 * Adds `count` accounts with a realistic mix (deactivated, locked, guests, bots, admins; last seen from minutes
 * to a year ago or never). Localparts are `<first>.<last><i>` (e.g. `alice.smith0`), display names "First Last".
 * The simulator's own seeding also generates device keys for the security report, which at this scale takes
 * minutes and is not what the user-count scenarios measure.
 */
export function addAccounts(sim: Simulator, count: number): void {
  const now = sim.clock.now();
  const first = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "lena", "mateo", "noor", "oskar", "priya"];
  const last = ["smith", "garcia", "nguyen", "muller", "rossi", "kowalski", "tanaka", "okafor", "silva", "dubois", "kim", "patel"];
  let x = 12345;
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < count; i++) {
    const f = first[i % first.length];
    const l = last[Math.floor(i / first.length) % last.length];
    const created = now - Math.floor(rnd() * 730) * 86_400_000 - Math.floor(rnd() * 86_400_000);
    const seen = rnd() < 0.15 ? null : Math.max(created, now - Math.floor(rnd() * 400 * 86_400_000));
    const r = rnd();
    addUser(
      sim.state,
      {
        localpart: `${f}.${l}${i}`,
        displayname: `${f[0].toUpperCase()}${f.slice(1)} ${l[0].toUpperCase()}${l.slice(1)}`,
        creation_ts: created,
        last_seen_ts: seen,
        deactivated: r < 0.07,
        locked: r >= 0.07 && r < 0.075,
        is_guest: r >= 0.075 && r < 0.08,
        user_type: r >= 0.08 && r < 0.085 ? "bot" : null,
        admin: r >= 0.085 && r < 0.0852,
      },
      now,
    );
  }
}

/**
 * Fills Steward's stored user list (and a snapshot, the registrations per day and a collector run) the way the
 * user-counts collector does, from a simulator of its own holding `count` accounts (5 seeded + addAccounts),
 * which is closed afterwards so its memory does not stay in the caller's process. Returns the accounts stored.
 */
export async function collectAccounts(database: Database, count: number): Promise<number> {
  const sim = await startSimulator({ users: 5, seed: 1 });
  try {
    addAccounts(sim, count - sim.state.users.size);
    const config = loadConfig({ HOMESERVER_URL: sim.url, SESSION_SECRET: "bench-secret-bench-secret-bench-secret-0123", COLLECTORS_ENABLED: "false", LOG_LEVEL: "error" });
    const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken, timeoutMs: 120_000 });
    const outcome = await runCollector({ database, config, log: createLogger("error") }, userCountsCollector, hs, "cli");
    if (outcome.status !== "ok") throw new Error(`user-counts collection failed: ${JSON.stringify(outcome)}`);
    return outcome.result.items;
  } finally {
    await sim.close();
  }
}

// ------------------------------------------------------------------ federation

/** Adds `count` destinations (`hsNNNNN.<domain>`, ~80 % healthy) to the simulator and collects them once. */
export async function collectDestinations(database: Database, sim: Simulator, count: number): Promise<number> {
  seedManyDestinations(sim.state, { count, seed: 1, now: sim.clock.now() });
  await collectFederationFrom(database, sim);
  return sim.state.federation.destinations.size;
}

/** One federation collection into Steward's database from a homeserver (a simulator here or in its own process). */
export async function collectFederationFrom(database: Database, homeserver: { url: string; adminToken: string }): Promise<void> {
  const hs = createHomeserverClient({ baseUrl: homeserver.url, accessToken: homeserver.adminToken });
  await collectFederation({ db: database.db, hs, now: () => new Date() });
}

// ------------------------------------------------------------------ user-count history

/** A year (`days`) of snapshots every 15 minutes (and their collector runs), ending just before now. Returns the snapshot count. */
export async function seedCountHistory(database: Database, now: Date, days: number): Promise<number> {
  const end = now.toISOString();
  const start = new Date(now.getTime() - days * 86_400_000).toISOString();
  const db = database.db;
  await db.execute(sql`
    insert into user_count_snapshots (taken_at, total, active_1d, active_7d, active_30d, never_seen, created_1d, created_7d,
      created_30d, deactivated, locked, guests, admins, regular, bots, support, other_types, shadow_banned, unavailable, server_version)
    select t, 50000 + i, 8000 + (i % 500), 20000 + (i % 700), 30000 + (i % 900), 5000, 10, 70, 300, 3000 + i / 100, 20, 5, 4,
      49000 + i, 30, 1, 0, 2, '{}'::jsonb, '1.132.0'
    from (select t, row_number() over (order by t)::int as i
          from generate_series(${start}::timestamptz, ${end}::timestamptz - interval '15 minutes', interval '15 minutes') as t) s`);
  await db.execute(sql`
    insert into user_count_daily (day, taken_at, total, active_1d, active_7d, active_30d, never_seen, created_1d, created_7d,
      created_30d, deactivated, locked, guests, admins, regular, bots, support, other_types, shadow_banned, unavailable, server_version)
    select distinct on (taken_at::date) (taken_at at time zone 'UTC')::date, taken_at, total, active_1d, active_7d, active_30d,
      never_seen, created_1d, created_7d, created_30d, deactivated, locked, guests, admins, regular, bots, support, other_types,
      shadow_banned, unavailable, server_version
    from user_count_snapshots order by taken_at::date, taken_at desc
    on conflict (day) do nothing`);
  await db.execute(sql`
    insert into collector_runs (collector, started_at, finished_at, status, items, total, trigger)
    select 'user-counts', t, t + interval '20 seconds', 'ok', 50000, 50000, 'schedule'
    from generate_series(${start}::timestamptz, ${end}::timestamptz - interval '15 minutes', interval '15 minutes') as t`);
  await db.execute(sql`analyze`);
  const res = (await db.execute(sql`select count(*)::int as n from user_count_snapshots`)) as unknown as { rows: { n: number }[] };
  return res.rows[0].n;
}

// ------------------------------------------------------------------ security posture

/**
 * `olderScans` complete scans 6 h apart (summaries only, for the chart), then one complete scan of `rows` users
 * `@userNNNNNN:bench.test` ("User N") with a spread of states: every 50th deactivated, every 97th a bot, about a
 * quarter fully secured, 0–4 devices, some unverified and stale. The same idea as bench/scenarios/posture.ts.
 * Returns the scan's id.
 */
export async function seedPostureScan(database: Database, rows: number, now: Date, olderScans = 30): Promise<number> {
  // Imported here: posture-store pulls in the scan's modules, which only this seeding needs.
  const { summarizeScan } = await import("../app/services/posture/store.server");
  const db = database.db;
  for (let i = olderScans; i >= 1; i--) {
    const at = new Date(now.getTime() - i * 6 * 3600_000);
    await db.insert(postureScans).values({ startedAt: at, updatedAt: now, finishedAt: new Date(at.getTime() + 60_000), status: "complete", backupSource: "account_data", staleDays: 90 });
  }
  const [scan] = await db.insert(postureScans).values({ startedAt: now, updatedAt: now, status: "running", backupSource: "account_data", staleDays: 90 }).returning();
  const st = `array['ok','missing','unknown']`;
  await db.execute(
    sql.raw(`
    insert into posture_users (scan_id, user_id, displayname, category, cross_signing, recovery, key_backup, no_unverified_sessions, fully_secured, backup_source, devices, unverified_devices, stale_devices, device_list, notes, search_text, scanned_at)
    select ${Number(scan.id)}, '@user' || lpad(g::text, 6, '0') || ':bench.test', 'User ' || g,
           case when g % 50 = 0 then 'deactivated' when g % 97 = 0 then 'bot' else 'active' end,
           (${st})[1 + g % 2], (${st})[1 + g % 3], (${st})[1 + (g / 3) % 3],
           (${st})[1 + (g / 7) % 2], case when g % 4 = 0 then 'ok' else 'missing' end, 'account_data',
           g % 5, g % 3, g % 2, '[{"id":"DEVICE","name":"Element","lastSeenTs":1,"state":"cross_signed","stale":false}]'::jsonb, '{}'::jsonb,
           lower('@user' || lpad(g::text, 6, '0') || ':bench.test' || chr(10) || 'User ' || g), now()
      from generate_series(1, ${Math.floor(rows)}) g`),
  );
  const summary = await summarizeScan(db, scan.id);
  await db.update(postureScans).set({ status: "complete", finishedAt: now, summary }).where(eq(postureScans.id, scan.id));
  await db.update(postureScans).set({ summary }).where(eq(postureScans.status, "complete"));
  await db.execute(sql`analyze posture_users`);
  return scan.id;
}

/** The /federation filter and sort variants both the federation and the load scenarios request. */
export const FEDERATION_PAGE_URLS = [
  "/federation",
  "/federation?state=dead",
  "/federation?q=example.net&sort=failing_since",
  "/federation?sort=next_retry&dir=desc&page=3",
  "/federation?state=backing_off&sort=interval",
  "/federation?sort=state&dir=desc&page=40",
  "/federation?q=hs01&sort=state",
  "/federation?sort=destination&page=150",
];

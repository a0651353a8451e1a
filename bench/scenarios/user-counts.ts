/**
 * User-count targets (issue 4) with 100,000 users (UC_BENCH_USERS) and a year of 15-minute snapshots
 * (UC_BENCH_DAYS × 96 rows, ~35,000, plus as many collector runs):
 * - a full counts collection against the simulator ≤ 30 s (first run: every user is new; a later run: updates);
 * - the overview loader p95 ≤ 50 ms and the users list with a search term p95 ≤ 100 ms, both as Remix data
 *   requests (`?_data=`: session check + loader + JSON) through the real server.
 * On the embedded database, and on PostgreSQL too when BENCH_DATABASE_URL is set (a fresh database is created
 * on that server and dropped afterwards).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { sql } from "drizzle-orm";
import { openDatabase, type Database } from "../../db/client";
import { loadConfig } from "../../app/config.server";
import { createLogger } from "../../app/services/log.server";
import { createHomeserverClient } from "../../app/homeserver/index";
import { runCollector } from "../../app/services/collector.server";
import { userCountsCollector } from "../../app/services/collectors/user-counts.server";
import { startSteward } from "../../server/steward";
import { addUser, startSimulator, type Simulator } from "../../tests/simulator/index";
import { TestClient } from "../../tests/helpers/http";
import { percentile, type BenchResult } from "../types";

const USERS = Number(process.env.UC_BENCH_USERS ?? 100_000);
const DAYS = Number(process.env.UC_BENCH_DAYS ?? 365);
const REQUESTS = Number(process.env.UC_BENCH_REQUESTS ?? 60);
const SEARCH_TERMS = ["ali", "smith", "zz", "@bob", "a.k", "garcia", "xq", "lena"];

async function benchDatabases(): Promise<Array<{ label: string; database: Database; drop(): Promise<void> }>> {
  const out: Array<{ label: string; database: Database; drop(): Promise<void> }> = [{ label: "PGlite", database: await openDatabase({}), drop: async () => {} }];
  const url = process.env.BENCH_DATABASE_URL;
  if (url) {
    const name = `steward_bench_uc_${process.pid}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create database "${name}"`);
    await admin.end();
    const u = new URL(url);
    u.pathname = `/${name}`;
    out.push({
      label: "PostgreSQL",
      database: await openDatabase({ url: u.toString() }),
      async drop() {
        const a = new pg.Client({ connectionString: url });
        await a.connect();
        await a.query(`drop database if exists "${name}" with (force)`);
        await a.end();
      },
    });
  }
  return out;
}

/** A year of snapshots every 15 minutes (and their collector runs), ending just before now. */
async function seedHistory(database: Database, now: Date): Promise<number> {
  const end = now.toISOString();
  const start = new Date(now.getTime() - DAYS * 86_400_000).toISOString();
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

async function timeRequests(client: TestClient, paths: string[]): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const p = paths[i % paths.length];
    const t = performance.now();
    const res = await client.get(p, { Accept: "application/json" });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${p} answered ${res.status}`);
    times.push(performance.now() - t);
  }
  return times;
}

async function benchOne(sim: Simulator, label: string, database: Database): Promise<BenchResult[]> {
  await database.migrate();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-bench-uc-"));
  const config = loadConfig({
    NODE_ENV: "production",
    HOMESERVER_URL: sim.url,
    STEWARD_DATA_DIR: dataDir,
    SESSION_SECRET: "bench-secret-bench-secret-bench-secret-0123",
    PORT: "0",
    HOST: "127.0.0.1",
    COLLECTORS_ENABLED: "false",
    LOG_LEVEL: "error",
  });
  const log = createLogger("error");
  const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken, timeoutMs: 120_000 });
  const results: BenchResult[] = [];

  const collect = async (what: string) => {
    const t = performance.now();
    const outcome = await runCollector({ database, config, log }, userCountsCollector, hs, "cli");
    const s = (performance.now() - t) / 1000;
    if (outcome.status !== "ok") throw new Error(`collection failed: ${JSON.stringify(outcome)}`);
    results.push({ name: `${label}: counts collection, ${what} (${outcome.result.items} users)`, value: s, unit: "s", target: "≤ 30 s", ok: s <= 30 });
  };
  await collect("first run");
  // Some activity between runs: a few hundred users seen again.
  let i = 0;
  for (const u of sim.state.users.values()) if (i++ % 300 === 0) u.last_seen_ts = Date.now();
  await collect("later run");

  const snapshots = await seedHistory(database, new Date());
  const steward = await startSteward({ config, database, logger: log });
  try {
    const client = new TestClient(steward.url);
    const login = await client.postForm("/login", { homeserver: sim.url, mode: "token", accessToken: sim.adminToken });
    if (login.status !== 302) throw new Error(`sign-in failed: ${login.status}`);
    for (const range of ["30d", "1y"] as const) {
      const times = await timeRequests(client, [`/?range=${range}&_data=routes%2F_app._index`]);
      const p95 = percentile(times, 95);
      results.push({
        name: `${label}: overview loader p95, range ${range} (${snapshots} snapshots)`,
        value: p95,
        unit: "ms",
        target: "≤ 50 ms",
        ok: p95 <= 50,
        note: `median ${percentile(times, 50).toFixed(1)} ms over ${times.length} requests; load average ${os.loadavg()[0].toFixed(1)}`,
      });
    }
    const search = await timeRequests(
      client,
      SEARCH_TERMS.map((q) => `/users?q=${encodeURIComponent(q)}&_data=routes%2F_app.users._index`),
    );
    const p95 = percentile(search, 95);
    results.push({
      name: `${label}: users list with a search term p95`,
      value: p95,
      unit: "ms",
      target: "≤ 100 ms",
      ok: p95 <= 100,
      note: `terms ${SEARCH_TERMS.join(", ")}; median ${percentile(search, 50).toFixed(1)} ms; load average ${os.loadavg()[0].toFixed(1)}`,
    });
    const plain = await timeRequests(client, ["/users?sort=last_seen&_data=routes%2F_app.users._index", "/users?filter=inactive&days=90&_data=routes%2F_app.users._index"]);
    results.push({ name: `${label}: users list, sorted/filtered, no search p95`, value: percentile(plain, 95), unit: "ms", note: "no target; for reference" });
  } finally {
    await steward.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return results;
}

/**
 * Adds `count` accounts with a realistic mix (deactivated, locked, guests, bots, admins; last seen from minutes
 * to a year ago or never). The simulator's own seeding also generates device keys for the security report,
 * which at this scale takes minutes and is not what this scenario measures.
 */
function addAccounts(sim: Simulator, count: number): void {
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

export default async function run(): Promise<BenchResult[]> {
  let t = performance.now();
  const sim = await startSimulator({ users: 5, seed: 1 });
  addAccounts(sim, USERS - sim.state.users.size);
  console.log(`  simulator seeded with ${sim.state.users.size} users in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const results: BenchResult[] = [];
  try {
    for (const { label, database, drop } of await benchDatabases()) {
      t = performance.now();
      try {
        results.push(...(await benchOne(sim, label, database)));
      } finally {
        await database.close();
        await drop();
      }
      console.log(`  ${label} done in ${((performance.now() - t) / 1000).toFixed(0)} s`);
    }
  } finally {
    await sim.close();
  }
  return results;
}

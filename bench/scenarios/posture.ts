/**
 * Security posture scan and report (issue 6 targets).
 *
 * - Scan: against the simulator with 10 ms latency per request, POSTURE_BENCH_USERS (default 10,000) users; the
 *   scan runs in a child process so its peak RSS is its own (the simulator, with every user's keys, lives here).
 * - Naive scan (one user at a time: key query + account data + devices) measured in the same run on a sample of
 *   POSTURE_BENCH_NAIVE_SAMPLE users (default 300) and extrapolated per user — running it over 10,000 users would
 *   take over five minutes of sleeping.
 * - Large run: POSTURE_BENCH_LARGE_USERS (default 25,000; set 100000 for the figure, ~6 min): time + RSS.
 * - Report loader p95 with POSTURE_BENCH_REPORT_USERS (default 100,000) rows in one scan, on BENCH_DATABASE_URL
 *   (PostgreSQL) when set, else PGlite.
 *
 * When run with POSTURE_BENCH_CHILD=1 this file is the child: it scans and prints one JSON line.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { openDatabase, type Database } from "../../db/client";
import { createHomeserverClient } from "../../app/homeserver/index";
import { percentile, type BenchResult } from "../types";

const LATENCY_MS = 10;

async function scratchDatabase(tag: string): Promise<{ database: Database; drop(): Promise<void>; kind: string }> {
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) {
    const database = await openDatabase({ pglite: new PGlite() });
    await database.migrate();
    return { database, kind: "PGlite", drop: () => database.close() };
  }
  const name = `steward_bench_${tag}_${process.pid}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop database if exists ${name}`);
  await admin.query(`create database ${name}`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  const database = await openDatabase({ url: u.toString(), poolSize: 5 });
  await database.migrate();
  return {
    database,
    kind: "PostgreSQL",
    async drop() {
      await database.close();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

// ------------------------------------------------------------------ child: one scan, one JSON line

async function child(): Promise<void> {
  const { runPostureScan } = await import("../../app/services/posture-scan.server");
  const { postureSettings } = await import("../../app/services/posture-settings.server");
  const { database, drop } = await scratchDatabase("scan");
  const hs = createHomeserverClient({ baseUrl: process.env.SIM_URL!, accessToken: process.env.SIM_TOKEN!, timeoutMs: 60_000 });
  const started = performance.now();
  const r = await runPostureScan({ db: database.db, hs, now: () => new Date(), settings: postureSettings({}, process.env) });
  const ms = performance.now() - started;
  await drop();
  process.stdout.write(JSON.stringify({ ms, users: r.usersScanned, requests: r.requests, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + "\n");
}

function runChild(env: Record<string, string>): Promise<{ ms: number; users: number; requests: number; maxRssMb: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url)], {
      env: { ...process.env, ...env, POSTURE_BENCH_CHILD: "1" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("exit", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      if (code !== 0) return reject(new Error(`scan child exited with ${code}`));
      resolve(JSON.parse(line));
    });
  });
}

// ------------------------------------------------------------------ parent

async function scanScenario(users: number, label: string): Promise<{ results: BenchResult[]; perUserNaiveMs?: number }> {
  const { startSimulator } = await import("../../tests/simulator/index");
  const t0 = performance.now();
  const sim = await startSimulator({ users, seed: 1 });
  const seedS = (performance.now() - t0) / 1000;
  sim.setLatency(LATENCY_MS);
  try {
    const before = sim.requestLog.length;
    const scan = await runChild({ SIM_URL: sim.url, SIM_TOKEN: sim.adminToken });
    const httpRequests = sim.requestLog.length - before;
    sim.requestLog.length = 0; // the log itself would grow with every run
    return {
      results: [
        { name: `scan ${label} users: time`, value: scan.ms / 1000, unit: "s", note: `${scan.users} users scanned, simulator seeded in ${seedS.toFixed(1)} s, 10 ms latency, concurrency ${process.env.POSTURE_CONCURRENCY ?? 8}` },
        { name: `scan ${label} users: peak RSS (scanner process)`, value: scan.maxRssMb, unit: "MB" },
        { name: `scan ${label} users: requests per user`, value: httpRequests / scan.users, unit: "req", note: `${httpRequests} HTTP requests (incl. retries) for ${scan.users} users; ≤ 2 + 2/batch allowed` },
      ],
    };
  } finally {
    await sim.close();
  }
}

async function naivePerUser(sample: number): Promise<number> {
  const { startSimulator } = await import("../../tests/simulator/index");
  const sim = await startSimulator({ users: sample, seed: 2 });
  sim.setLatency(LATENCY_MS);
  try {
    const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken });
    const ids = [...sim.state.users.values()].filter((u) => !u.is_guest).map((u) => u.name);
    const started = performance.now();
    for (const id of ids) {
      await hs.keys.query([id]);
      await hs.accountData.get(id);
      await hs.devices.list(id);
    }
    return (performance.now() - started) / ids.length;
  } finally {
    await sim.close();
  }
}

async function reportLoader(rows: number): Promise<BenchResult[]> {
  const { postureReportData } = await import("../../app/services/posture-report.server");
  const { parsePostureQuery } = await import("../../app/services/posture-query.server");
  const { summarizeScan } = await import("../../app/services/posture-store.server");
  const { postureScans } = await import("../../db/schema");
  const { eq } = await import("drizzle-orm");
  const { database, drop, kind } = await scratchDatabase("report");
  try {
    const db = database.db;
    const now = new Date();
    // Older scans (summaries only) for the chart, then one complete scan with `rows` users.
    for (let i = 30; i >= 1; i--) {
      await db.insert(postureScans).values({ startedAt: new Date(now.getTime() - i * 6 * 3600_000), updatedAt: now, finishedAt: new Date(now.getTime() - i * 6 * 3600_000 + 60_000), status: "complete", backupSource: "account_data", staleDays: 90 });
    }
    const [scan] = await db.insert(postureScans).values({ startedAt: now, updatedAt: now, status: "running", backupSource: "account_data", staleDays: 90 }).returning();
    const st = ["ok", "missing", "unknown"];
    await database.db.execute(
      (await import("drizzle-orm")).sql.raw(`
      insert into posture_users (scan_id, user_id, displayname, category, cross_signing, recovery, key_backup, no_unverified_sessions, fully_secured, backup_source, devices, unverified_devices, stale_devices, device_list, notes, search_text, scanned_at)
      select ${scan.id}, '@user' || lpad(g::text, 6, '0') || ':bench.test', 'User ' || g,
             case when g % 50 = 0 then 'deactivated' when g % 97 = 0 then 'bot' else 'active' end,
             (array['${st.join("','")}'])[1 + g % 2], (array['${st.join("','")}'])[1 + g % 3], (array['${st.join("','")}'])[1 + (g / 3) % 3],
             (array['${st.join("','")}'])[1 + (g / 7) % 2], case when g % 4 = 0 then 'ok' else 'missing' end, 'account_data',
             g % 5, g % 3, g % 2, '[{"id":"DEVICE","name":"Element","lastSeenTs":1,"state":"cross_signed","stale":false}]'::jsonb, '{}'::jsonb,
             lower('@user' || lpad(g::text, 6, '0') || ':bench.test' || chr(10) || 'User ' || g), now()
        from generate_series(1, ${rows}) g`),
    );
    const summary = await summarizeScan(db, scan.id);
    await db.update(postureScans).set({ status: "complete", finishedAt: now, summary }).where(eq(postureScans.id, scan.id));
    await db.update(postureScans).set({ summary }).where(eq(postureScans.status, "complete"));
    if (kind === "PostgreSQL") await database.db.execute((await import("drizzle-orm")).sql.raw("analyze posture_users"));
    const queries = ["", "check=cross_signing&status=missing", "check=key_backup&status=unknown&page=40", "q=user0420", "stale=1&sort=devices&dir=desc", "include=deactivated&include=bot"];
    const times: number[] = [];
    const perMix = new Map<string, number[]>();
    for (let i = 0; i < 120; i++) {
      const { query } = parsePostureQuery(new URLSearchParams(queries[i % queries.length]));
      const t = performance.now();
      await postureReportData(db, query);
      const ms = performance.now() - t;
      if (i >= 12) times.push(ms); // the first rounds warm caches and plans
      if (i >= 12) perMix.set(queries[i % queries.length], [...(perMix.get(queries[i % queries.length]) ?? []), ms]);
    }
    if (process.env.POSTURE_BENCH_VERBOSE) for (const [k, v] of perMix) console.log(`  ${k || "(default)"}: median ${percentile(v, 50).toFixed(1)} ms, max ${Math.max(...v).toFixed(1)} ms`);
    return [
      { name: `report loader p95, ${rows.toLocaleString("en")} users (${kind})`, value: percentile(times, 95), unit: "ms", target: "≤ 100 ms", ok: percentile(times, 95) <= 100, note: `median ${percentile(times, 50).toFixed(1)} ms over ${times.length} loads with ${queries.length} filter mixes` },
    ];
  } finally {
    await drop();
  }
}

export default async function run(): Promise<BenchResult[]> {
  const users = Number(process.env.POSTURE_BENCH_USERS ?? 10_000);
  const large = Number(process.env.POSTURE_BENCH_LARGE_USERS ?? 25_000);
  const sample = Number(process.env.POSTURE_BENCH_NAIVE_SAMPLE ?? 300);
  const reportRows = Number(process.env.POSTURE_BENCH_REPORT_USERS ?? 100_000);
  const results: BenchResult[] = [];

  if (users > 0) results.push(...(await mainScan(users, sample)));
  if (large > 0) {
    const big = await scanScenario(large, large.toLocaleString("en"));
    results.push(...big.results);
  }
  if (reportRows > 0) results.push(...(await reportLoader(reportRows)));
  return results;
}

async function mainScan(users: number, sample: number): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const main = await scanScenario(users, users.toLocaleString("en"));
  const scanS = main.results[0].value;
  main.results[0] = { ...main.results[0], target: "≤ 30 s", ok: scanS <= 30 };
  main.results[1] = { ...main.results[1], target: "≤ 300 MB", ok: main.results[1].value <= 300 };
  results.push(...main.results);

  const naiveMs = await naivePerUser(sample);
  const naiveS = (naiveMs * users) / 1000;
  results.push({ name: `naive scan, ${users.toLocaleString("en")} users (extrapolated)`, value: naiveS, unit: "s", note: `${naiveMs.toFixed(1)} ms per user measured over ${sample} users, 3 sequential requests each` });
  results.push({ name: "speed-up over the naive scan", value: naiveS / scanS, unit: "×", target: "≥ 10×", ok: naiveS / scanS >= 10 });
  return results;
}

if (process.env.POSTURE_BENCH_CHILD === "1") {
  child().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}

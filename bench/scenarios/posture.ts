/**
 * Security posture scan and report (issue 6 targets).
 *
 * - Scan: against the simulator with 10 ms latency per request, POSTURE_BENCH_USERS (default 10,000) users, once
 *   per database (PostgreSQL when BENCH_DATABASE_URL is set, and PGlite); the scan runs in a child process so its
 *   peak RSS is its own (the simulator, with every user's keys, lives here). The child runs bundled JavaScript, as
 *   the production server does (build/server.js), not TypeScript compiled on the fly: tsx's loader thread and the
 *   transpiled modules cost ~70 MB of RSS that no installation has. POSTURE_BENCH_TSX_CHILD=1 runs it under tsx.
 * - Naive scan (one user at a time: key query + account data + devices) measured in the same run on a sample of
 *   POSTURE_BENCH_NAIVE_SAMPLE users (default 300) and extrapolated per user — running it over 10,000 users would
 *   take over five minutes of sleeping.
 * - Large run: POSTURE_BENCH_LARGE_USERS (default 100,000, several minutes; 0 skips it): time + RSS, first database.
 * - Report loader p95 with POSTURE_BENCH_REPORT_USERS (default 100,000) rows in one scan, on BENCH_DATABASE_URL
 *   (PostgreSQL) when set, else PGlite.
 *
 * When run with POSTURE_BENCH_CHILD=1 this file is the child: it scans and prints one JSON line.
 */
import { spawn } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import pg from "pg";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDatabase, type Database } from "../../db/client";
import { createHomeserverClient } from "../../app/homeserver/index";
import { peakRssMb, percentile, type BenchResult } from "../types";

const LATENCY_MS = 10;

async function scratchDatabase(tag: string): Promise<{ database: Database; drop(): Promise<void>; kind: string }> {
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) {
    // A data directory on disk, as Steward runs it (an in-memory PGlite keeps every page in the process's memory).
    // The scan child opens one its parent created: creating a data directory (initdb) peaks near 900 MB, once in
    // an installation's life, and would otherwise be the scan's peak.
    const given = process.env.POSTURE_BENCH_PGLITE_DIR;
    const dataDir = given ?? fs.mkdtempSync(path.join(os.tmpdir(), `steward-bench-${tag}-`));
    const database = await openDatabase({ dataDir });
    await database.migrate();
    return {
      database,
      kind: "PGlite",
      async drop() {
        await database.close();
        if (!given) fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
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
  const { runPostureScan } = await import("../../app/services/posture/scan.server");
  const { loadConfig } = await import("../../app/config.server");
  // The scan's knobs as Steward reads them (POSTURE_CONCURRENCY etc. may be set for a run); nothing else of the env.
  const postureEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("POSTURE_")));
  const settings = loadConfig({ ...postureEnv, NODE_ENV: "test", HOMESERVER_URL: "http://127.0.0.1:1", SESSION_SECRET: "bench-secret-bench-secret-bench-secret-0123" }).posture;
  const mb = (bytes: number) => (bytes / 1048576).toFixed(0);
  // POSTURE_BENCH_VERBOSE: where the memory is, every 2 s and at each step (the peak RSS alone does not say).
  const verbose = Boolean(process.env.POSTURE_BENCH_VERBOSE);
  const memTrace = verbose
    ? setInterval(() => {
        const m = process.memoryUsage();
        console.error(`  memory: rss ${mb(m.rss)} MB, js heap ${mb(m.heapUsed)} MB, external ${mb(m.external)} MB`);
      }, 2000).unref()
    : undefined;
  const traceStep = (step: string) => {
    if (verbose) console.error(`  memory after ${step}: ${mb(process.memoryUsage().rss)} MB, peak so far ${peakRssMb().toFixed(0)} MB`);
  };
  const { database, drop } = await scratchDatabase("scan");
  // The peak of opening the database (PGlite compiles and starts PostgreSQL here) apart from the scan's own: the
  // scan's is sampled every 100 ms (the peak covers the whole process life).
  const openPeakRssMb = peakRssMb();
  let scanRssMb = process.memoryUsage().rss / 1048576;
  const sampler = setInterval(() => (scanRssMb = Math.max(scanRssMb, process.memoryUsage().rss / 1048576)), 100).unref();
  traceStep("opening the database");
  const hs = createHomeserverClient({ baseUrl: process.env.SIM_URL!, accessToken: process.env.SIM_TOKEN!, timeoutMs: 60_000 });
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const started = performance.now();
  const r = await runPostureScan({ db: database.db, hs, now: () => new Date(), settings });
  const ms = performance.now() - started;
  clearInterval(sampler);
  lag.disable();
  if (verbose) {
    console.error(`  scanner event-loop delay: mean ${(lag.mean / 1e6).toFixed(1)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms, max ${(lag.max / 1e6).toFixed(1)} ms`);
  }
  traceStep("the scan");
  await drop();
  traceStep("closing the database");
  if (memTrace) clearInterval(memTrace);
  process.stdout.write(JSON.stringify({ ms, users: r.usersScanned, requests: r.requests, maxRssMb: peakRssMb(), openPeakRssMb, scanRssMb, cpuS: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1e6 }) + "\n");
}

let childEntry: Promise<string[]> | undefined;

/**
 * How to start the child: this file bundled with esbuild like build/server.js (packages external). The bundle goes
 * into build/, where node_modules and db/migrations are found as they are from build/server.js.
 */
function childEntryArgs(): Promise<string[]> {
  if (process.env.POSTURE_BENCH_TSX_CHILD === "1") return Promise.resolve(["--import", "tsx", fileURLToPath(import.meta.url)]);
  childEntry ??= (async () => {
    const { build } = await import("esbuild");
    const outfile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../build/posture-bench-child.mjs");
    await build({ entryPoints: [fileURLToPath(import.meta.url)], outfile, bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", logLevel: "warning" });
    return [outfile];
  })();
  return childEntry;
}

async function runChild(env: Record<string, string>): Promise<{ ms: number; users: number; requests: number; maxRssMb: number; openPeakRssMb: number; scanRssMb: number; cpuS: number }> {
  // POSTURE_BENCH_CPU_PROF=<dir>: the scanner's CPU profile (for finding what dominates).
  const prof = process.env.POSTURE_BENCH_CPU_PROF;
  const profArgs = prof ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(prof)}`] : [];
  const entry = await childEntryArgs();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...profArgs, ...entry], {
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

type DbKind = { kind: "PostgreSQL" | "PGlite"; url?: string };

/** The databases the scan runs against: PGlite always, PostgreSQL too when BENCH_DATABASE_URL is set (first). */
function databases(): DbKind[] {
  const url = process.env.BENCH_DATABASE_URL;
  return url ? [{ kind: "PostgreSQL", url }, { kind: "PGlite" }] : [{ kind: "PGlite" }];
}

interface ScanRun {
  kind: DbKind["kind"];
  seconds: number;
  maxRssMb: number;
  openPeakRssMb: number;
  scanRssMb: number;
  users: number;
  httpRequests: number;
  seedS: number;
}

/** One simulator, one scan per database (each in its own child process). */
async function scanRuns(users: number, dbs: DbKind[]): Promise<ScanRun[]> {
  const { startSimulator } = await import("../../tests/simulator/index");
  const t0 = performance.now();
  const sim = await startSimulator({ users, seed: 1 });
  const seedS = (performance.now() - t0) / 1000;
  sim.setLatency(LATENCY_MS);
  const runs: ScanRun[] = [];
  try {
    for (const db of dbs) {
      const before = sim.requestLog.length;
      let pgliteDir: string | undefined;
      if (!db.url) {
        pgliteDir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-bench-scan-"));
        const created = await openDatabase({ dataDir: pgliteDir });
        await created.migrate();
        await created.close();
      }
      const env = { SIM_URL: sim.url, SIM_TOKEN: sim.adminToken, BENCH_DATABASE_URL: db.url ?? "", ...(pgliteDir ? { POSTURE_BENCH_PGLITE_DIR: pgliteDir } : {}) };
      const simCpu = process.cpuUsage();
      const scan = await runChild(env).finally(() => {
        if (pgliteDir) fs.rmSync(pgliteDir, { recursive: true, force: true });
      });
      const httpRequests = sim.requestLog.length - before;
      if (process.env.POSTURE_BENCH_VERBOSE) {
        const used = process.cpuUsage(simCpu);
        const perRequest = (s: number) => ((s * 1e6) / httpRequests).toFixed(0);
        console.error(`  CPU per request: scanner ${perRequest(scan.cpuS)} µs, simulator ${perRequest((used.user + used.system) / 1e6)} µs (${httpRequests} requests)`);
        // Each request's time inside the simulator (latency included): the rest of a slot is the scanner and the wire.
        const inside = sim.requestLog.slice(before).map((e) => e.ms);
        const slotMs = (scan.ms * Number(process.env.POSTURE_CONCURRENCY ?? 8)) / httpRequests;
        console.error(`  per request: ${slotMs.toFixed(2)} ms of a slot, ${(inside.reduce((a, b) => a + b, 0) / inside.length).toFixed(2)} ms inside the simulator (p99 ${percentile(inside, 99).toFixed(1)})`);
      }
      sim.requestLog.length = 0; // the log itself would grow with every run
      runs.push({ kind: db.kind, seconds: scan.ms / 1000, maxRssMb: scan.maxRssMb, openPeakRssMb: scan.openPeakRssMb, scanRssMb: scan.scanRssMb, users: scan.users, httpRequests, seedS });
    }
  } finally {
    await sim.close();
  }
  return runs;
}

const scanNote = (r: ScanRun) =>
  `${r.users} users scanned, simulator seeded in ${r.seedS.toFixed(1)} s, 10 ms latency, concurrency ${process.env.POSTURE_CONCURRENCY ?? 8}; load average ${os.loadavg()[0].toFixed(1)}`;
const requestsRow = (label: string, r: ScanRun): BenchResult => ({
  name: `scan ${label} users (${r.kind}): requests per user`,
  value: r.httpRequests / r.users,
  unit: "req",
  note: `${r.httpRequests} HTTP requests (incl. retries) for ${r.users} users; ≤ 2 + 2/batch allowed`,
});
/** PGlite runs inside Steward's process: its own footprint, and the peak of opening it, are in the figure. */
const rssNote = (r: ScanRun) =>
  `${r.kind === "PGlite" ? "scanner and embedded database in one process; " : ""}peak while opening the database ${r.openPeakRssMb.toFixed(0)} MB, highest sampled during the scan ${r.scanRssMb.toFixed(0)} MB`;
const rssRow = (label: string, r: ScanRun, target: boolean): BenchResult =>
  r.kind === "PGlite"
    ? { name: `scan ${label} users (PGlite): peak RSS`, value: r.maxRssMb, unit: "MB", note: rssNote(r) }
    : { name: `scan ${label} users (PostgreSQL): peak RSS (scanner process)`, value: r.maxRssMb, unit: "MB", note: rssNote(r), ...(target ? { target: "≤ 300 MB", ok: r.maxRssMb <= 300 } : {}) };

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
  const { postureReportData } = await import("../../app/services/posture/report.server");
  const { parsePostureQuery } = await import("../../app/services/posture/query.server");
  const { summarizeScan } = await import("../../app/services/posture/store.server");
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
    // The table as an admin meets it, hours after a scan: vacuumed and analysed. Left to autovacuum, its vacuum of
    // the 100,000 new rows (the insert threshold) could start in the middle of the measurement, or not.
    if (kind === "PostgreSQL") await database.db.execute((await import("drizzle-orm")).sql.raw("vacuum analyze posture_users"));
    const queries = ["", "check=cross_signing&status=missing", "check=key_backup&status=unknown&page=40", "q=user0420", "stale=1&sort=devices&dir=desc", "include=deactivated&include=bot"];
    const times: number[] = [];
    const perMix = new Map<string, number[]>();
    for (let i = 0; i < 120; i++) {
      const { query } = parsePostureQuery(new URLSearchParams(queries[i % queries.length]));
      const t = performance.now();
      await postureReportData(db, query, database.kind);
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
  const large = Number(process.env.POSTURE_BENCH_LARGE_USERS ?? 100_000);
  const sample = Number(process.env.POSTURE_BENCH_NAIVE_SAMPLE ?? 300);
  const reportRows = Number(process.env.POSTURE_BENCH_REPORT_USERS ?? 100_000);
  const results: BenchResult[] = [];

  if (users > 0) results.push(...(await mainScan(users, sample)));
  if (large > 0) {
    // The large run: time and memory on the first database only (it takes minutes).
    const label = large.toLocaleString("en");
    const [r] = await scanRuns(large, databases().slice(0, 1));
    results.push({ name: `scan ${label} users (${r.kind}): time`, value: r.seconds, unit: "s", note: scanNote(r) });
    results.push(rssRow(label, r, false), requestsRow(label, r));
  }
  if (reportRows > 0) results.push(...(await reportLoader(reportRows)));
  return results;
}

async function mainScan(users: number, sample: number): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const label = users.toLocaleString("en");
  const runs = await scanRuns(users, databases());
  const naiveMs = await naivePerUser(sample);
  const naiveS = (naiveMs * users) / 1000;
  for (const r of runs) {
    results.push({ name: `scan ${label} users (${r.kind}): time`, value: r.seconds, unit: "s", target: "≤ 30 s", ok: r.seconds <= 30, note: scanNote(r) });
    results.push(rssRow(label, r, true), requestsRow(label, r));
    results.push({ name: `speed-up over the naive scan (${r.kind})`, value: naiveS / r.seconds, unit: "×", target: "≥ 10×", ok: naiveS / r.seconds >= 10 });
  }
  results.push({ name: `naive scan, ${label} users (extrapolated)`, value: naiveS, unit: "s", note: `${naiveMs.toFixed(1)} ms per user measured over ${sample} users, 3 sequential requests each, in the same run` });
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

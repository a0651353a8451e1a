/**
 * The posture scan from Synapse's own database (issue 17 targets), on one world per size:
 * - 100,000 users (POSTURE_DB_BENCH_USERS), Steward's database on PostgreSQL: the database path's time, peak RSS of
 *   the scan process (its own VmHWM, bundled as in production) and homeserver requests; then the admin-API path on
 *   the same world and the same Synapse database (backups read from it) at 10 ms per request, run for
 *   POSTURE_DB_BENCH_API_SAMPLE_S seconds (default 60) and extrapolated per user — its full run takes ~5 minutes.
 * - 10,000 users (POSTURE_DB_BENCH_SMALL_USERS), Steward's database embedded (PGlite), Synapse's on PostgreSQL.
 * Synapse's database: a Synapse-shaped PostgreSQL database made by tests/helpers/synapse-db.ts from the simulator's
 * state (at most 20 room-key rows per backup version; 100,000 users would otherwise need ~100 million rows).
 * Servers: BENCH_DATABASE_URL (Steward) and SYNAPSE_TEST_DATABASE_URL (Synapse), default postgres@127.0.0.1:5432.
 *
 * With POSTURE_DB_BENCH_CHILD=1 this file is the child: one scan, one JSON line.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { openDatabase } from "../../db/client";
import { peakRssMb, type BenchResult } from "../types";

const LATENCY_MS = 10;
const DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres";

async function child(): Promise<void> {
  const { runPostureScan } = await import("../../app/services/posture/scan.server");
  const { openSynapseBackupReader } = await import("../../app/services/posture/backup.server");
  const { createHomeserverClient } = await import("../../app/homeserver/index");
  const { POSTURE_DEFAULTS } = await import("../../app/config.server");
  const env = process.env;
  const database = await openDatabase(env.STEWARD_URL ? { url: env.STEWARD_URL, poolSize: 5 } : { dataDir: env.STEWARD_DIR! });
  const hs = createHomeserverClient({ baseUrl: env.SIM_URL!, accessToken: env.SIM_TOKEN!, timeoutMs: 60_000 });
  const settings = { ...POSTURE_DEFAULTS, synapseDatabaseUrl: env.SYNAPSE_URL };
  const api = env.MODE === "api";
  const reader = api ? openSynapseBackupReader(env.SYNAPSE_URL!) : undefined;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const r = await runPostureScan({
    db: database.db,
    hs,
    now: () => new Date(),
    settings,
    ...(api ? { synapseSource: null, synapseDb: reader, signal: AbortSignal.timeout(Number(env.SAMPLE_S) * 1000) } : {}),
  });
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpu0); // every thread of the process: the scan and its verifier workers
  await reader?.close();
  await database.close();
  process.stdout.write(JSON.stringify({ ms, users: r.usersScanned, requests: r.requests, path: r.path, status: r.status, maxRssMb: peakRssMb(), cpuS: (cpu.user + cpu.system) / 1e6 }) + "\n");
}

let entry: Promise<string> | undefined;
/** The child bundled like build/server.js (packages external), so its RSS is what an installation has. */
function childEntry(): Promise<string> {
  entry ??= (async () => {
    const { build } = await import("esbuild");
    const outfile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../build/posture-db-bench-child.mjs");
    await build({ entryPoints: [fileURLToPath(import.meta.url)], outfile, bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", logLevel: "warning" });
    return outfile;
  })();
  return entry;
}

type ChildOut = { ms: number; users: number; requests: number; path: string; status: string; maxRssMb: number; cpuS: number };
async function runChild(env: Record<string, string>): Promise<ChildOut> {
  const file = await childEntry();
  return new Promise((resolve, reject) => {
    // POSTURE_DB_BENCH_CPU_PROF=<dir>: the scan process's CPU profile.
    const prof = process.env.POSTURE_DB_BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(process.env.POSTURE_DB_BENCH_CPU_PROF)}`] : [];
    const p = spawn(process.execPath, [...prof, file], { env: { ...process.env, ...env, POSTURE_DB_BENCH_CHILD: "1" }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!)) : reject(new Error(`scan child exited with ${code}`))));
  });
}

/** Steward's own database for one scan: a new PostgreSQL database, or a PGlite data directory. */
async function stewardDb(kind: "PostgreSQL" | "PGlite"): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (kind === "PGlite") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-bench-dbscan-"));
    const d = await openDatabase({ dataDir: dir });
    await d.migrate();
    await d.close();
    return { env: { STEWARD_DIR: dir }, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const base = process.env.BENCH_DATABASE_URL ?? DEFAULT_PG;
  const name = `steward_bench_dbscan_${process.pid}_${Date.now() % 100000}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  const d = await openDatabase({ url: u.toString(), poolSize: 2 });
  await d.migrate();
  await d.close();
  return {
    env: { STEWARD_URL: u.toString() },
    async drop() {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/** CPU seconds used so far by every PostgreSQL server process on this machine (Steward's and Synapse's databases). */
function postgresCpuS(): number {
  let ticks = 0;
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      if (!stat.includes("(postgres)")) continue;
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // utime, stime, and cutime, cstime: the postmaster carries its ended backends' time in the latter two.
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks / 100; // USER_HZ
}

const load = () => `load average ${os.loadavg().map((l) => l.toFixed(1)).join(" / ")} (1/5/15 min) on ${os.cpus().length} cores`;

async function world(users: number, seed: number) {
  const { startSimulator } = await import("../../tests/simulator/index");
  const { createSynapseTestDb, writeSimulatorState } = await import("../../tests/helpers/synapse-db");
  const { createHomeserverClient } = await import("../../app/homeserver/index");
  const t0 = performance.now();
  const sim = await startSimulator({ users, seed });
  const seedS = (performance.now() - t0) / 1000;
  await createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken }).auth.whoami();
  const t1 = performance.now();
  const synapse = await createSynapseTestDb();
  await writeSimulatorState(synapse.query, sim.state, { roomKeysCap: 20 });
  const writeS = (performance.now() - t1) / 1000;
  sim.setLatency(LATENCY_MS);
  return { sim, synapse, seedS, writeS };
}

async function scan(w: Awaited<ReturnType<typeof world>>, kind: "PostgreSQL" | "PGlite", mode: "db" | "api", sampleS = 0) {
  const steward = await stewardDb(kind);
  const before = w.sim.requestLog.length;
  try {
    const pg0 = postgresCpuS();
    const out = await runChild({ ...steward.env, SIM_URL: w.sim.url, SIM_TOKEN: w.sim.adminToken, SYNAPSE_URL: w.synapse.url, MODE: mode, SAMPLE_S: String(sampleS) });
    return { ...out, httpRequests: w.sim.requestLog.length - before, postgresCpuS: postgresCpuS() - pg0 };
  } finally {
    w.sim.requestLog.length = 0;
    await steward.drop();
  }
}

export default async function run(): Promise<BenchResult[]> {
  const large = Number(process.env.POSTURE_DB_BENCH_USERS ?? 100_000);
  const small = Number(process.env.POSTURE_DB_BENCH_SMALL_USERS ?? 10_000);
  const sampleS = Number(process.env.POSTURE_DB_BENCH_API_SAMPLE_S ?? 60);
  const results: BenchResult[] = [];
  if (large > 0) {
    const label = large.toLocaleString("en");
    const w = await world(large, 1);
    try {
      const db = await scan(w, "PostgreSQL", "db");
      if (db.path !== "database") throw new Error(`the scan took the ${db.path} path`);
      const api = await scan(w, "PostgreSQL", "api", sampleS);
      const apiS = ((api.ms / 1000) * db.users) / api.users;
      const dbS = db.ms / 1000;
      results.push(
        { name: `database path, ${label} users (Steward on PostgreSQL): time`, value: dbS, unit: "s", target: "≤ 15 s", ok: dbS <= 15, note: `${db.users} users scanned; the scan process used ${db.cpuS.toFixed(1)} s of CPU (all its threads), PostgreSQL's server processes ${db.postgresCpuS.toFixed(1)} s (both databases; the scan process starts and opens its database in that time too); simulator seeded in ${w.seedS.toFixed(0)} s, Synapse-shaped database written in ${w.writeS.toFixed(0)} s; ${load()}` },
        { name: `database path, ${label} users: peak RSS (scan process)`, value: db.maxRssMb, unit: "MB", target: "≤ 300 MB", ok: db.maxRssMb <= 300, note: "the scan process's own VmHWM, bundled as in production" },
        { name: `database path, ${label} users: homeserver requests`, value: db.httpRequests, unit: "req", target: "0 per user", ok: db.httpRequests <= 1, note: `${(db.httpRequests / db.users).toFixed(5)} per user: the whoami of the identity check, once per scan` },
        { name: `admin-API path, ${label} users, 10 ms per request (extrapolated)`, value: apiS, unit: "s", note: `${api.users} users scanned in a ${(api.ms / 1000).toFixed(0)} s sample of the same world (backups from the same Synapse database), ${(api.httpRequests / Math.max(1, api.users)).toFixed(2)} requests per user, extrapolated per user` },
        { name: `speed-up of the database path over the admin-API path`, value: apiS / dbS, unit: "×", target: "≥ 15×", ok: apiS / dbS >= 15 },
      );
    } finally {
      await w.synapse.drop();
      await w.sim.close();
    }
  }
  if (small > 0) {
    const label = small.toLocaleString("en");
    const w = await world(small, 2);
    try {
      const db = await scan(w, "PGlite", "db");
      if (db.path !== "database") throw new Error(`the scan took the ${db.path} path`);
      results.push(
        { name: `database path, ${label} users (Steward on PGlite, Synapse on PostgreSQL): time`, value: db.ms / 1000, unit: "s", target: "≤ 3 s", ok: db.ms <= 3000, note: `${db.users} users scanned, ${db.httpRequests} homeserver request(s); the scan process used ${db.cpuS.toFixed(1)} s of CPU, PostgreSQL (Synapse's database) ${db.postgresCpuS.toFixed(1)} s; ${load()}` },
        { name: `database path, ${label} users (PGlite): peak RSS`, value: db.maxRssMb, unit: "MB", note: "scanner and embedded database in one process" },
      );
    } finally {
      await w.synapse.drop();
      await w.sim.close();
    }
  }
  return results;
}

if (process.env.POSTURE_DB_BENCH_CHILD === "1") {
  child().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}

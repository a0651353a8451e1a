/**
 * Bulk sign-out of stale sessions (issue 15, decision 020): BULK_BENCH_USERS (default 10,000) users with 2 stale
 * sessions each on the simulator at 10 ms per request, POSTURE_CONCURRENCY (default 8) requests in flight. Target:
 * ≤ 60 s, peak RSS ≤ 300 MB for the process running the job.
 *
 * The parent builds the simulator's users and Steward's database (a complete scan listing every session, and the
 * job with its 20,000 items, as the confirmation stores it); the job runs in a child process (bundled like
 * build/server.js, see posture.ts) so its peak RSS is its own. When run with BULK_BENCH_CHILD=1 this file is the
 * child: it runs the job and prints one JSON line.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase, type Database } from "../../db/client";
import { createHomeserverClient } from "../../app/homeserver/index";
import { peakRssMb, type BenchResult } from "../types";

const LATENCY_MS = 10;
const DAY = 86_400_000;

async function open(dir: string | undefined): Promise<Database> {
  const url = process.env.BULK_BENCH_DB_URL;
  const database = url ? await openDatabase({ url, poolSize: 5 }) : await openDatabase({ dataDir: dir! });
  await database.migrate();
  return database;
}

async function child(): Promise<void> {
  const { runBulkJobs } = await import("../../app/services/users/bulk/run.server");
  const { userActionsBackend } = await import("../../app/services/users/actions/target.server");
  const database = await open(process.env.BULK_BENCH_DIR);
  const hs = createHomeserverClient({ baseUrl: process.env.SIM_URL!, accessToken: process.env.SIM_TOKEN!, timeoutMs: 60_000 });
  const concurrency = Number(process.env.POSTURE_CONCURRENCY ?? 8);
  const started = performance.now();
  const ran = await runBulkJobs({ db: database.db, database, hs, backend: userActionsBackend(hs), now: () => new Date(), concurrency });
  const ms = performance.now() - started;
  await database.close();
  process.stdout.write(JSON.stringify({ ms, ran, maxRssMb: peakRssMb() }) + "\n");
}

async function childEntry(): Promise<string[]> {
  const { build } = await import("esbuild");
  const outfile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../build/bulk-bench-child.mjs");
  await build({ entryPoints: [fileURLToPath(import.meta.url)], outfile, bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", logLevel: "warning" });
  return [outfile];
}

async function seedSteward(database: Database, userIds: string[], now: number): Promise<number> {
  const { postureScans, postureUsers } = await import("../../db/schema");
  const { createBulkJob } = await import("../../app/services/users/bulk/plan.server");
  const at = new Date(now);
  const [scan] = await database.db
    .insert(postureScans)
    .values({ startedAt: at, updatedAt: at, finishedAt: at, status: "complete", backupSource: "account_data", staleDays: 90, usersScanned: userIds.length, totalUsers: userIds.length })
    .returning({ id: postureScans.id });
  const device = (id: string, ago: number) => ({ id, name: "Old phone", lastSeenTs: now - ago * DAY, state: "cross_signed", stale: true, ip: "192.0.2.1" });
  for (let i = 0; i < userIds.length; i += 500) {
    await database.db.insert(postureUsers).values(
      userIds.slice(i, i + 500).map((userId) => ({
        scanId: scan.id,
        userId,
        category: "active",
        crossSigning: "ok",
        recovery: "ok",
        keyBackup: "ok",
        noUnverifiedSessions: "ok",
        fullySecured: "ok",
        backupSource: "account_data",
        devices: 2,
        crossSignedDevices: 2,
        staleDevices: 2,
        deviceList: [device("OLDA", 120), device("OLDB", 200)],
        searchText: userId,
        scannedAt: at,
      })),
    );
  }
  const items = userIds.flatMap((userId) => ["OLDA", "OLDB"].map((deviceId) => ({ userId, deviceId, deviceName: "Old phone", lastSeenTs: now - 120 * DAY, lastSeenIp: "192.0.2.1" })));
  const r = await createBulkJob(database.db, { kind: "sign-out-stale", actor: "@admin:sim.test", formId: `bench-${now}-0000000000`, days: 90, filterText: "bench", items, now: at });
  if (!r.ok) throw new Error(r.error);
  return items.length;
}

export default async function bulkSignOut(): Promise<BenchResult[]> {
  const users = Number(process.env.BULK_BENCH_USERS ?? 10_000);
  const { startSimulator } = await import("../../tests/simulator/index");
  const { addDevice, addUser } = await import("../../tests/simulator/state");
  const sim = await startSimulator({ users: 0 });
  const now = Date.now();
  const ids: string[] = [];
  for (let i = 0; i < users; i++) {
    const u = addUser(sim.state, { localpart: `bench${String(i).padStart(6, "0")}`, password: null }, now - 400 * DAY);
    addDevice(sim.state, u.name, { device_id: "OLDA", last_seen_ts: now - 120 * DAY });
    addDevice(sim.state, u.name, { device_id: "OLDB", last_seen_ts: now - 200 * DAY });
    ids.push(u.name);
  }
  const dir = process.env.BULK_BENCH_DB_URL ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), "steward-bench-bulk-"));
  try {
    const database = await open(dir);
    const devices = await seedSteward(database, ids, now);
    await database.close();
    sim.setLatency(LATENCY_MS);
    const entry = await childEntry();
    const out = await new Promise<{ ms: number; ran: number; maxRssMb: number }>((resolve, reject) => {
      const p = spawn(process.execPath, entry, { env: { ...process.env, BULK_BENCH_CHILD: "1", SIM_URL: sim.url, SIM_TOKEN: sim.adminToken, BULK_BENCH_DIR: dir ?? "" }, stdio: ["ignore", "pipe", "inherit"] });
      let text = "";
      p.stdout.on("data", (d) => (text += d));
      p.on("exit", (code) => (code === 0 ? resolve(JSON.parse(text.trim().split("\n").pop()!)) : reject(new Error(`bulk child exited with ${code}`))));
    });
    const left = ids.filter((u) => (sim.state.devices.get(u)?.size ?? 0) > 0).length;
    if (left) throw new Error(`${left} users still have sessions after the job`);
    const seconds = out.ms / 1000;
    const note = `${users.toLocaleString("en")} users × 2 stale sessions (${devices.toLocaleString("en")}), 10 ms per request, concurrency ${process.env.POSTURE_CONCURRENCY ?? 8}, ${process.env.BULK_BENCH_DB_URL ? "PostgreSQL" : "PGlite"}; ${sim.requestLog.length.toLocaleString("en")} requests; load average ${os.loadavg()[0].toFixed(1)} on a shared machine`;
    return [
      { name: `bulk sign-out, ${users.toLocaleString("en")} users: time`, value: seconds, unit: "s", target: "≤ 60 s", ok: seconds <= 60, note },
      { name: `bulk sign-out, ${users.toLocaleString("en")} users: peak RSS (job process)`, value: out.maxRssMb, unit: "MB", target: "≤ 300 MB", ok: out.maxRssMb <= 300, note: process.env.BULK_BENCH_DB_URL ? "" : "job and embedded database in one process" },
    ];
  } finally {
    await sim.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.env.BULK_BENCH_CHILD === "1") {
  child().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}

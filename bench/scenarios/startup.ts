/**
 * Cold start to the first 200 on /login, and idle memory, for the production entry (`node build/server.js`)
 * on the embedded database (with an existing data directory) and on PostgreSQL (BENCH_DATABASE_URL, default the
 * local test server). Targets from the foundation issue.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import net from "node:net";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { procMemoryMb, type BenchResult } from "../types";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function startOnce(env: Record<string, string>, measureRss: boolean) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ["build/server.js"], {
    cwd: root,
    env: { ...process.env, NODE_ENV: "production", SESSION_SECRET: "b".repeat(40), HOMESERVER_URL: "http://127.0.0.1:9", PORT: String(port), LOG_LEVEL: "warn", COLLECTORS_ENABLED: "false", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited: ${stderr}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/login`);
        if (res.status === 200) break;
      } catch {
        /* not listening yet */
      }
      if (performance.now() - started > 60_000) throw new Error("no 200 within 60 s");
      await new Promise((r) => setTimeout(r, 20));
    }
    const ms = performance.now() - started;
    const peakRss = procMemoryMb(child.pid!, "VmHWM");
    let rss = NaN;
    if (measureRss) {
      for (let i = 0; i < 20; i++) await fetch(`http://127.0.0.1:${port}/login`).then((r) => r.text());
      await new Promise((r) => setTimeout(r, 3000));
      rss = procMemoryMb(child.pid!, "VmRSS");
    }
    return { ms, rss, peakRss };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

export default async function run(): Promise<BenchResult[]> {
  if (!fs.existsSync(path.join(root, "build", "server.js"))) throw new Error("run npm run build first");
  const results: BenchResult[] = [];
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-bench-"));
  try {
    // The first start creates the data directory: from the build's template (decision 012), else by initdb.
    const template = fs.readdirSync(path.join(root, "build")).find((f) => f.startsWith("pglite-template-"));
    const first = await startOnce({ STEWARD_DATA_DIR: dataDir }, false);
    results.push({ name: "first start, new data directory (PGlite): to first 200", value: first.ms / 1000, unit: "s", note: template ? `unpacked from build/${template}` : "no template in build/: initdb" });
    results.push({ name: "first start, new data directory (PGlite): peak RSS", value: first.peakRss, unit: "MB", note: "the process's peak (VmHWM) up to its first 200" });
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await startOnce({ STEWARD_DATA_DIR: dataDir }, i === 2));
    const ms = median(runs.map((r) => r.ms));
    results.push({ name: "cold start to first 200 on /login (PGlite, existing data dir)", value: ms / 1000, unit: "s", target: "≤ 3 s", ok: ms <= 3000, note: `median of 3; load average ${os.loadavg()[0].toFixed(1)}` });
    const rss = runs[2].rss;
    results.push({ name: "idle RSS (PGlite)", value: rss, unit: "MB", target: "≤ 400 MB", ok: rss <= 400 });
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }

  const baseUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const name = `steward_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  try {
    await admin.connect();
  } catch (e) {
    results.push({ name: "PostgreSQL start-up", value: NaN, unit: "", note: `skipped: no PostgreSQL at ${baseUrl} (${(e as Error).message})` });
    return results;
  }
  await admin.query(`create database "${name}"`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  try {
    await startOnce({ DATABASE_URL: url.toString(), STEWARD_DATA_DIR: os.tmpdir() }, false); // migrates
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await startOnce({ DATABASE_URL: url.toString(), STEWARD_DATA_DIR: os.tmpdir() }, i === 2));
    const ms = median(runs.map((r) => r.ms));
    results.push({ name: "cold start to first 200 on /login (PostgreSQL)", value: ms / 1000, unit: "s", target: "≤ 1.5 s", ok: ms <= 1500, note: `median of 3; load average ${os.loadavg()[0].toFixed(1)}` });
    results.push({ name: "idle RSS (PostgreSQL)", value: runs[2].rss, unit: "MB", target: "≤ 150 MB", ok: runs[2].rss <= 150 });
  } finally {
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
  return results;
}

/**
 * The production server under test in its own process (`node build/server.js`, as `npm start` runs it: NODE_ENV
 * production, default log level, collectors off), on a random free port; shared by the load and screens scenarios.
 * LOAD_BENCH_CPU_PROF=<dir> runs it with `--cpu-prof`; LOAD_BENCH_SERVER_LOG=<file> keeps its stdout.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** `script`: another server to run the same way (the screens benchmark's baseline page, bench/baseline-app). */
export async function startServer(env: Record<string, string>, script = "build/server.js"): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const port = await freePort();
  const prof = process.env.LOAD_BENCH_CPU_PROF;
  const args = [...(prof ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(prof)}`] : []), script];
  const child = spawn(process.execPath, args, {
    cwd: root,
    // stdout (one JSON log line per request, as in production) goes to /dev/null: reading it here would cost the
    // load generator CPU that the server needs.
    env: { ...process.env, NODE_ENV: "production", PORT: String(port), HOST: "127.0.0.1", COLLECTORS_ENABLED: "false", LOG_LEVEL: "info", ...env },
    // LOAD_BENCH_SERVER_LOG=<file> keeps them (for finding out what happened during a run).
    stdio: ["ignore", process.env.LOAD_BENCH_SERVER_LOG ? fs.openSync(process.env.LOAD_BENCH_SERVER_LOG, "w") : "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}): ${stderr}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() - started > 60_000) throw new Error(`server not answering after 60 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url, stderr: () => stderr };
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

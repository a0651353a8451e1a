/**
 * Runs a TypeScript entry (server.ts, a helper script) in a child process with tsx, asynchronously: the simulator
 * lives in the test process and must keep answering while the child runs (never spawnSync). Collects output,
 * parses JSON log lines, and waits for a line, for the exit, or kills at a chosen point.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

export interface Child {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** JSON lines printed so far (other lines are ignored). */
  lines: () => Record<string, unknown>[];
  /** Resolves with the first JSON line matching `pred` (rejects on exit or after `timeoutMs`). */
  waitForLine(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the first match of `pattern` in the plain output (rejects on exit or after `timeoutMs`). */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startChild(entry: string, args: string[], env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ["--import", "tsx", path.resolve(entry), ...args], {
    cwd: path.resolve("."),
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const waiters: Array<() => void> = [];
  proc.stdout!.on("data", (d) => {
    out += d;
    for (const w of [...waiters]) w();
  });
  proc.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on("exit", (code, signal) => {
      resolve({ code, signal });
      for (const w of [...waiters]) w();
    }),
  );
  const lines = () =>
    out
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    lines,
    exited,
    async waitForOutput(pattern, timeoutMs) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const m = pattern.exec(out);
        if (m) return m;
        if (proc.exitCode !== null) throw new Error(`the child exited (${proc.exitCode}): ${out}\n${err}`);
        if (Date.now() > until) throw new Error(`no ${pattern} within ${timeoutMs} ms: ${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    waitForLine(pred, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`no matching line within ${timeoutMs} ms; stdout: ${out.slice(-2000)} stderr: ${err.slice(-2000)}`)), timeoutMs);
        const check = () => {
          const hit = lines().find(pred);
          if (hit) done(null, hit);
          else if (proc.exitCode !== null || proc.signalCode !== null) done(new Error(`child exited (${proc.exitCode ?? proc.signalCode}); stdout: ${out.slice(-2000)} stderr: ${err.slice(-2000)}`));
        };
        function done(e: Error | null, line?: Record<string, unknown>) {
          clearTimeout(timer);
          const i = waiters.indexOf(check);
          if (i >= 0) waiters.splice(i, 1);
          if (e) reject(e);
          else resolve(line!);
        }
        waiters.push(check);
        check();
      });
    },
  };
}

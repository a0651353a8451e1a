/**
 * An open-loop HTTP load generator for the load scenario (bench/scenarios/load.ts), on Node's http with a
 * keep-alive agent: requests start on a fixed schedule whatever the server does, and each latency runs from the
 * scheduled start to the last byte of the body, so a server that falls behind cannot hide it (no coordinated
 * omission). Kept lean — typed arrays, no per-request logging — because it shares the machine with the server.
 */
import fs from "node:fs";
import http from "node:http";
import { percentile } from "./types";

export interface LoadRun {
  rate: number;
  latency: Float64Array;
  timeoutMs: number;
  page: Uint8Array;
  /** HTTP status; 0 = network error, 1 = no answer by the end. */
  status: Uint16Array;
  measuredStart: number;
  lastEnd: number;
  /** How late the generator itself started requests (its own lag, not the server's). */
  sendLag: Float64Array;
}

export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  rate: number;
  seconds: number;
  /** Seconds of requests before the measured ones, in the same stream, not recorded. */
  warmupS: number;
  timeoutMs: number;
  /** Connections at most (keep-alive). */
  connections: number;
  /** Request i's path and its group (the page it belongs to, for per-page figures). */
  request(i: number): [path: string, group: number];
}

/**
 * The open-loop generator: `rate` requests/s, one continuous stream of which the first `warmupS` seconds are not
 * recorded. Ends when every request has answered, or `timeoutMs` after the last scheduled start.
 */
export function generate(o: LoadOptions): Promise<LoadRun> {
  const { rate, seconds, warmupS, headers, timeoutMs } = o;
  const { hostname, port } = new URL(o.url);
  const warmup = Math.round(rate * warmupS);
  const measured = Math.round(rate * seconds);
  const total = warmup + measured;
  const interval = 1000 / rate;
  // At most `connections` at once, like a proxy's upstream pool: enough for a server that keeps up (at 200/s and
  // p99 250 ms, ~50 are busy), while an overloaded one is not handed every request at once (it would then finish
  // none of them for a long time, and keep working on abandoned ones after the run). Requests beyond the limit
  // wait in the agent, and that wait counts in their latency.
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.connections });
  // Everything a request needs is prepared before the stream starts.
  const paths: string[] = [];
  const pageOf = new Uint8Array(total);
  for (let i = 0; i < total; i++) [paths[i], pageOf[i]] = o.request(i);
  const run: LoadRun = {
    rate,
    latency: new Float64Array(measured),
    timeoutMs,
    page: pageOf.subarray(warmup),
    status: new Uint16Array(measured).fill(1),
    measuredStart: 0,
    lastEnd: 0,
    sendLag: new Float64Array(measured),
  };
  return new Promise((resolve) => {
    let pending = 0;
    let next = 0;
    let done = false;
    const t0 = performance.now() + 20;
    run.measuredStart = t0 + warmup * interval;
    const answered = new Uint8Array(measured);
    const open = new Set<http.ClientRequest>();
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      // Abort what is still queued or running: destroying only the agent's sockets would let it open new ones for
      // the queued requests, and the server would go on serving the abandoned stream after the run.
      for (const req of open) req.destroy();
      agent.destroy();
      const end = performance.now();
      for (let k = 0; k < measured; k++) if (!answered[k]) run.latency[k] = end - (t0 + (warmup + k) * interval);
      resolve(run);
    };
    const deadline = setTimeout(finish, (total - 1) * interval + timeoutMs + 100);
    const record = (i: number, status: number) => {
      if (done) return;
      pending--;
      const end = performance.now();
      if (i >= warmup) {
        const k = i - warmup;
        const ms = end - (t0 + i * interval);
        answered[k] = 1;
        run.latency[k] = ms;
        run.status[k] = status;
        if (end > run.lastEnd) run.lastEnd = end;
      }
      if (next >= total && pending === 0) finish();
    };
    const fire = (i: number) => {
      pending++;
      if (i >= warmup) run.sendLag[i - warmup] = performance.now() - (t0 + i * interval);
      let settled = false;
      const settle = (status: number) => {
        if (settled) return;
        settled = true;
        open.delete(req);
        record(i, status);
      };
      const req = http.request({ agent, hostname, port, path: paths[i], headers }, (res) => {
        const code = res.statusCode ?? 0;
        res.on("end", () => settle(code));
        res.on("error", () => settle(0));
        res.resume(); // the body is read and dropped: latency runs to its last byte
      });
      open.add(req);
      req.on("error", () => settle(0));
      req.end();
    };
    const tick = () => {
      const now = performance.now();
      while (next < total && t0 + next * interval <= now) fire(next++);
      if (next < total) setTimeout(tick, Math.max(0, t0 + next * interval - performance.now()));
    };
    setTimeout(tick, 20);
  });
}

export interface RunStats {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  achieved: number;
  ok: number;
  errors: number;
  kinds: { status: number; network: number; timeout: number };
  windowS: number;
  byPage: number[][];
  lagP99: number;
}

export function stats(run: LoadRun, groups: number): RunStats {
  const n = run.latency.length;
  const all = Array.from(run.latency);
  const byPage: number[][] = Array.from({ length: groups }, () => []);
  const kinds = { status: 0, network: 0, timeout: 0 };
  let ok = 0;
  let answered200 = 0;
  for (let k = 0; k < n; k++) {
    const s = run.status[k];
    byPage[run.page[k]].push(run.latency[k]);
    if (s === 200) answered200++;
    // A request not fully answered within the timeout of its scheduled start is a timeout, whatever came later.
    if (s === 1 || run.latency[k] > run.timeoutMs) kinds.timeout++;
    else if (s === 200) ok++;
    else if (s === 0) kinds.network++;
    else kinds.status++;
  }
  const windowS = Math.max(run.lastEnd - run.measuredStart, 1) / 1000;
  const p = (q: number) => percentile(all, q);
  return { p50: p(50), p95: p(95), p99: p(99), max: Math.max(...all), achieved: answered200 / windowS, ok, errors: n - ok, kinds, windowS, byPage, lagP99: percentile(Array.from(run.sendLag), 99) };
}

// ------------------------------------------------------------------ process figures (Linux /proc)

/** A field of /proc/<pid>/status in MB (VmHWM: peak RSS). */
export const procStatus = (pid: number, field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
/** CPU seconds (user + system) a process has used. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}
/** Busy CPU seconds of the whole machine (all cores). */
export function machineBusySeconds(): number {
  const [, ...v] = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).map(Number);
  return (v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] ?? 0)) / 100;
}


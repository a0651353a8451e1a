/**
 * Load (hardening issue): a mixed signed-in page load — overview, users search, federation, security report —
 * with 100,000 users in Steward's database, at LOAD_BENCH_RATE (200) requests/s for LOAD_BENCH_SECONDS (60) s,
 * target p99 ≤ 250 ms and zero errors. On PGlite always, and on PostgreSQL too when BENCH_DATABASE_URL is set.
 *
 * - The server under test is the production build (`node build/server.js`, as `npm start` runs it: NODE_ENV
 *   production, default log level) in its own process, on a scratch database filled beforehand through bench/seed.ts:
 *   100,000 accounts collected by the user-counts collector, a year of 15-minute snapshots, 10,000 federation
 *   destinations, and a posture scan of 100,000 users. The homeserver is a small simulator in this process (the
 *   pages read Steward's database; the server asks the homeserver only to re-check the session once a minute).
 * - Sign-in once through the real /login form; every request carries the session cookie and a browser's
 *   Accept/Accept-Encoding, and asks for the whole HTML page. One response of every URL is checked for its
 *   content first (a known seeded user, destination, posture row), so error pages cannot pass.
 * - Open loop: request i starts at t0 + i/rate whether or not earlier ones have finished; latency runs from that
 *   scheduled start to the last byte of the body (a late start counts against the server: no coordinated
 *   omission). A warm-up of LOAD_BENCH_WARMUP_SECONDS (5) precedes the measured requests in the same stream.
 *   Errors: any status but 200, network errors, and requests not fully answered within LOAD_BENCH_TIMEOUT_MS
 *   (10,000) of their scheduled start.
 * - At most LOAD_BENCH_CONNECTIONS (128) keep-alive connections, like a proxy's upstream pool; requests beyond
 *   them wait in the generator, and the wait counts in their latency.
 * - When the target is missed, LOAD_BENCH_PROBES (6) short runs of LOAD_BENCH_PROBE_SECONDS (15) bisect for the
 *   highest rate that meets it, so the report says what the machine does sustain.
 * - Before the run, the server's CPU time per page is measured one request at a time (it bounds the rate one
 *   process can serve).
 * - LOAD_BENCH_CPU_PROF=<dir> runs the server with `--cpu-prof` into that directory (for finding what dominates).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase } from "../../db/client";
import { startSimulator, type Simulator } from "../../tests/simulator/index";
import { TestClient } from "../../tests/helpers/http";
import { percentile, type BenchResult } from "../types";
import { FEDERATION_PAGE_URLS, collectAccounts, collectDestinations, createScratchPostgres, seedCountHistory, seedPostureScan } from "../seed";
import { cpuSeconds, generate, machineBusySeconds, procStatus, stats, type RunStats } from "../load-generator";
import { startServer, stopServer } from "../server-process";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const RATE = Number(process.env.LOAD_BENCH_RATE ?? 200);
const SECONDS = Number(process.env.LOAD_BENCH_SECONDS ?? 60);
const WARMUP_SECONDS = Number(process.env.LOAD_BENCH_WARMUP_SECONDS ?? 5);
const TIMEOUT_MS = Number(process.env.LOAD_BENCH_TIMEOUT_MS ?? 10_000);
const CONNECTIONS = Number(process.env.LOAD_BENCH_CONNECTIONS ?? 128);
const PER_PAGE = 40;
const USERS = Number(process.env.LOAD_BENCH_USERS ?? 100_000);
const DESTINATIONS = 10_000;
const P99_TARGET_MS = 250;
/** When the target is missed: bisection probes for the highest rate that meets it (0 = skip), and their length. */
const PROBES = Number(process.env.LOAD_BENCH_PROBES ?? 6);
const PROBE_SECONDS = Number(process.env.LOAD_BENCH_PROBE_SECONDS ?? 15);

/** The four pages and the URL variants each one cycles through (searches, sorts, filters, pages). */
const PAGES: Array<{ name: string; urls: string[] }> = [
  { name: "overview", urls: ["/", "/?range=7d", "/?range=1y", "/?range=all"] },
  {
    name: "users search",
    urls: [
      "/users?q=ali",
      "/users?q=smith&sort=last_seen",
      "/users?q=garcia&filter=inactive&days=90",
      "/users?q=lena&sort=created&dir=desc",
      "/users?q=zz",
      "/users?q=%40bob",
      "/users?q=a.k&filter=active&days=30",
      "/users?q=okafor&page=3",
      "/users?q=noor&filter=deactivated",
      "/users?q=alice.smith0",
    ],
  },
  {
    name: "federation",
    urls: FEDERATION_PAGE_URLS,
  },
  {
    name: "security",
    urls: [
      "/security",
      "/security?check=cross_signing&status=missing",
      "/security?check=key_backup&status=unknown&page=40",
      "/security?q=user000420",
      "/security?stale=1&sort=devices&dir=desc",
      "/security?include=deactivated&include=bot",
    ],
  },
];

/** Text one response must contain, beyond its page heading: seeded rows the query must find. */
const EXPECT: Record<string, string> = {
  "/": `class="value">${USERS.toLocaleString("en-GB")}<`, // the accounts card: the collected total
  "/users?q=alice.smith0": "@alice.smith0:sim.test",
  "/security?q=user000420": "@user000420:bench.test",
  "/federation?q=hs01&sort=state": "hs01",
  "/federation?sort=destination&page=150": "hs0",
};
const HEADING: Record<string, string> = { overview: "Overview</h1>", "users search": "Users</h1>", federation: "Federation</h1>", security: "Security</h1>" };

/** Fetches every URL once and checks status, heading and expected rows. */
async function checkPages(client: TestClient): Promise<void> {
  for (const page of PAGES) {
    for (const u of page.urls) {
      const res = await client.get(u, { Accept: "text/html" });
      const html = await res.text();
      if (res.status !== 200) throw new Error(`${u} answered ${res.status}: ${html.slice(0, 300)}`);
      if (!html.includes(HEADING[page.name])) throw new Error(`${u} does not show its page (${HEADING[page.name]})`);
      if (EXPECT[u] && !html.includes(EXPECT[u])) throw new Error(`${u} does not show ${EXPECT[u]}`);
    }
  }
}

/**
 * Server CPU per page, one request at a time (PER_PAGE of each, cycling its variants): what a page costs the
 * server's process, and so how many of them one process can serve. Twice: rendered (an Accept header naming no
 * HTML, which the page cache does not answer: the cost of every first request after a data change), and as the
 * stream asks for it (from the page cache once stored; decision 010).
 */
async function cpuPerPage(client: TestClient, pid: number): Promise<Array<{ rendered: number; stream: number }>> {
  const out: Array<{ rendered: number; stream: number }> = [];
  const measure = async (urls: string[], headers: Record<string, string>) => {
    const before = cpuSeconds(pid);
    for (let i = 0; i < PER_PAGE; i++) await (await client.get(urls[i % urls.length], headers)).arrayBuffer();
    return ((cpuSeconds(pid) - before) * 1000) / PER_PAGE;
  };
  for (const page of PAGES) {
    const rendered = await measure(page.urls, { ...HEADERS, Accept: "*/*" });
    const stream = await measure(page.urls, HEADERS);
    out.push({ rendered, stream });
  }
  return out;
}

/** Request i: the pages in turn, each cycling through its variants. */
const mixed = (i: number): [string, number] => {
  const p = i % PAGES.length;
  return [PAGES[p].urls[Math.floor(i / PAGES.length) % PAGES[p].urls.length], p];
};
const HEADERS = { Accept: "text/html,application/xhtml+xml", "Accept-Encoding": "gzip, deflate, br, zstd" };
const load = (url: string, cookie: string, rate: number, seconds: number, warmupS: number) =>
  generate({ url, headers: { ...HEADERS, Cookie: cookie }, rate, seconds, warmupS, timeoutMs: TIMEOUT_MS, connections: CONNECTIONS, request: mixed }).then((r) => stats(r, PAGES.length));

const meetsTarget = (s: RunStats, rate: number) => s.p99 <= P99_TARGET_MS && s.errors === 0 && s.achieved >= rate * 0.98;

/** Waits until the server process is idle (under 10 % of a core for 2 s): an overloaded run leaves work behind. */
async function drain(pid: number): Promise<void> {
  const until = Date.now() + 300_000;
  let idle = 0;
  while (idle < 2) {
    if (Date.now() > until) throw new Error("the server was still busy 5 minutes after a run");
    const before = cpuSeconds(pid);
    await new Promise((r) => setTimeout(r, 1_000));
    idle = cpuSeconds(pid) - before < 0.1 ? idle + 1 : 0;
  }
}

/**
 * The highest rate (whole requests/s) that meets the target, by bisection between 0 and `above` (a rate that
 * missed it), PROBES short runs of PROBE_SECONDS each. Returns it with the probes made.
 */
async function capacity(url: string, pid: number, cookie: string, above: number): Promise<{ rate: number; probes: string[] }> {
  let lo = 0;
  let hi = above;
  const probes: string[] = [];
  for (let i = 0; i < PROBES && hi - lo > 1; i++) {
    const rate = Math.round((lo + hi) / 2);
    await drain(pid);
    const s = await load(url, cookie, rate, PROBE_SECONDS, 3);
    const ok = meetsTarget(s, rate);
    probes.push(`${rate}/s: p99 ${s.p99.toFixed(0)} ms${s.errors ? `, ${s.errors} errors` : ""} ${ok ? "✓" : "✗"}`);
    if (ok) lo = rate;
    else hi = rate;
  }
  return { rate: lo, probes };
}

/** Fills a migrated scratch database (see the header). */
async function seed(database: Awaited<ReturnType<typeof openDatabase>>, sim: Simulator): Promise<string> {
  await database.migrate();
  const now = new Date();
  const users = await collectAccounts(database, USERS);
  const snapshots = await seedCountHistory(database, now, 365);
  const destinations = await collectDestinations(database, sim, DESTINATIONS);
  await seedPostureScan(database, USERS, now);
  return `${users.toLocaleString("en")} stored users, ${snapshots.toLocaleString("en")} snapshots, ${destinations.toLocaleString("en")} destinations, ${USERS.toLocaleString("en")} posture rows`;
}

async function benchOne(label: "PGlite" | "PostgreSQL", baseUrl: string | undefined): Promise<BenchResult[]> {
  const sim = await startSimulator({ users: 5, seed: 1 });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-bench-load-"));
  const scratch = baseUrl ? await createScratchPostgres(baseUrl, `steward_bench_load_${process.pid}`) : undefined;
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    let t = performance.now();
    const database = await openDatabase(scratch ? { url: scratch.url } : { dataDir });
    let seeded: string;
    try {
      seeded = await seed(database, sim);
    } finally {
      await database.close(); // the server opens it itself (PGlite: one process at a time)
    }
    console.log(`  ${label}: seeded in ${((performance.now() - t) / 1000).toFixed(0)} s (${seeded})`);
    server = await startServer({
      HOMESERVER_URL: sim.url,
      SESSION_SECRET: "bench-secret-bench-secret-bench-secret-0123",
      STEWARD_DATA_DIR: dataDir,
      ...(scratch ? { DATABASE_URL: scratch.url } : {}),
    });
    const client = new TestClient(server.url);
    const signIn = await client.signIn("admin", "admin", sim.url);
    const session = client.cookies.get("steward_session");
    if (signIn.status !== 302 || !session) throw new Error(`sign-in failed (${signIn.status})`);
    const cookie = `steward_session=${session}`;
    await checkPages(client);
    const pid = server.child.pid!;
    const perPage = await cpuPerPage(client, pid);

    await new Promise((r) => setTimeout(r, 2_000)); // let the checks' garbage settle before the stream starts
    const loadBefore = os.loadavg()[0];
    const cpu0 = { server: cpuSeconds(pid), self: process.cpuUsage(), machine: machineBusySeconds() };
    t = performance.now();
    const s = await load(server.url, cookie, RATE, SECONDS, WARMUP_SECONDS);
    const wallS = (performance.now() - t) / 1000;
    const self = process.cpuUsage(cpu0.self);
    const cpu = { server: cpuSeconds(pid) - cpu0.server, self: (self.user + self.system) / 1e6, machine: machineBusySeconds() - cpu0.machine };
    const loadAfter = os.loadavg()[0];
    const peakRss = procStatus(pid, "VmHWM");
    const results = summarize(label, s, { wallS, cpu, loadBefore, loadAfter, peakRss, seeded, perPage });
    if (!meetsTarget(s, RATE) && PROBES > 0) {
      console.log(`  ${label}: target missed at ${RATE}/s; looking for the highest rate that meets it`);
      const cap = await capacity(server.url, pid, cookie, RATE);
      results.push({
        name: `${label}: highest rate meeting p99 ≤ ${P99_TARGET_MS} ms with no errors`,
        value: cap.rate,
        unit: "req/s",
        note: `bisection, ${PROBE_SECONDS} s runs after 3 s warm-up: ${cap.probes.join("; ")}; load average ${os.loadavg()[0].toFixed(1)} after`,
      });
    }
    return results;
  } finally {
    if (server) await stopServer(server.child);
    await sim.close();
    await scratch?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function summarize(
  label: string,
  s: RunStats,
  m: { wallS: number; cpu: { server: number; self: number; machine: number }; loadBefore: number; loadAfter: number; peakRss: number; seeded: string; perPage: Array<{ rendered: number; stream: number }> },
): BenchResult[] {
  const cores = os.cpus().length;
  const busy = `CPU during the run: server process ${((m.cpu.server / m.wallS) * 100).toFixed(0)} % of a core, load generator ${((m.cpu.self / m.wallS) * 100).toFixed(0)} %, whole machine ${((m.cpu.machine / m.wallS / cores) * 100).toFixed(0)} % of ${cores} cores`;
  const load = `load average ${m.loadBefore.toFixed(1)} before the run, ${m.loadAfter.toFixed(1)} at its end (its own processes included)`;
  const results: BenchResult[] = [
    { name: `${label}: latency p50`, value: s.p50, unit: "ms", note: `${s.ok + s.errors} requests at ${RATE}/s for ${SECONDS} s after a ${WARMUP_SECONDS} s warm-up; ${m.seeded}` },
    { name: `${label}: latency p95`, value: s.p95, unit: "ms" },
    { name: `${label}: latency p99`, value: s.p99, unit: "ms", target: `≤ ${P99_TARGET_MS} ms`, ok: s.p99 <= P99_TARGET_MS, note: `from scheduled start to last body byte (open loop); ${load}` },
    { name: `${label}: latency max`, value: s.max, unit: "ms" },
    { name: `${label}: achieved rate`, value: s.achieved, unit: "req/s", target: `${RATE}/s`, ok: s.achieved >= RATE * 0.98, note: `answers with status 200 (late ones too) per second, from the first measured start to the last answer (${s.windowS.toFixed(1)} s); generator send lag p99 ${s.lagP99.toFixed(1)} ms` },
    { name: `${label}: errors`, value: s.errors, unit: "", target: "0", ok: s.errors === 0, note: s.errors ? `${s.kinds.status} non-200, ${s.kinds.network} network errors, ${s.kinds.timeout} timeouts (no answer within ${TIMEOUT_MS / 1000} s)` : undefined },
  ];
  PAGES.forEach((pg, i) => {
    const xs = s.byPage[i];
    results.push({ name: `${label}: p99 ${pg.name} (${pg.urls.length} variants)`, value: percentile(xs, 99), unit: "ms", note: `median ${percentile(xs, 50).toFixed(1)} ms; server CPU per page (${PER_PAGE} one at a time, before the run): ${m.perPage[i].stream.toFixed(1)} ms as the stream asks (page cache), ${m.perPage[i].rendered.toFixed(1)} ms rendered` });
  });
  results.push({ name: `${label}: server peak RSS`, value: m.peakRss, unit: "MB", note: `${busy}; ${load}` });
  return results;
}

export default async function run(): Promise<BenchResult[]> {
  if (!fs.existsSync(path.join(root, "build", "server.js"))) throw new Error("run npm run build first");
  const results: BenchResult[] = [];
  // LOAD_BENCH_ONLY=postgres|pglite runs one of them (for investigating; the report is made with both).
  const only = process.env.LOAD_BENCH_ONLY;
  // PostgreSQL (the target's database) first: a PGlite run that falls behind leaves this process (the generator)
  // with seconds of backlog and garbage, which would count against the run after it.
  const runs: Array<["PGlite" | "PostgreSQL", string | undefined]> = [];
  if (process.env.BENCH_DATABASE_URL && only !== "pglite") runs.push(["PostgreSQL", process.env.BENCH_DATABASE_URL]);
  if (only !== "postgres") runs.push(["PGlite", undefined]);
  for (const [label, url] of runs) {
    const t = performance.now();
    results.push(...(await benchOne(label, url)));
    console.log(`  ${label} done in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  }
  return results;
}

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
import type { Database } from "../../db/client";
import { loadConfig } from "../../app/config.server";
import { createLogger } from "../../app/services/observability/log.server";
import { createHomeserverClient } from "../../app/homeserver/index";
import { runCollector } from "../../app/services/collectors/framework.server";
import { userCountsCollector } from "../../app/services/users/counts-collector.server";
import { startSteward } from "../../server/steward";
import { startSimulator, type Simulator } from "../../tests/simulator/index";
import { TestClient } from "../../tests/helpers/http";
import { percentile, type BenchResult } from "../types";
import { addAccounts, benchDatabases, seedCountHistory } from "../seed";

const USERS = Number(process.env.UC_BENCH_USERS ?? 100_000);
const DAYS = Number(process.env.UC_BENCH_DAYS ?? 365);
const REQUESTS = Number(process.env.UC_BENCH_REQUESTS ?? 60);
const SEARCH_TERMS = ["ali", "smith", "zz", "@bob", "a.k", "garcia", "xq", "lena"];

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

  const snapshots = await seedCountHistory(database, new Date(), DAYS);
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

export default async function run(): Promise<BenchResult[]> {
  let t = performance.now();
  const sim = await startSimulator({ users: 5, seed: 1 });
  addAccounts(sim, USERS - sim.state.users.size);
  console.log(`  simulator seeded with ${sim.state.users.size} users in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const results: BenchResult[] = [];
  try {
    for (const { label, database, drop } of await benchDatabases("uc")) {
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

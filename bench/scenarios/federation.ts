/**
 * Federation targets (issue 5) with 10,000 destinations (FED_BENCH_DESTINATIONS): a collection against the
 * simulator ≤ 10 s (the first run, which writes every row, and a steady-state run), and the /federation page's
 * response time p95 ≤ 100 ms through the real server (several filters and sorts). Embedded database, or
 * PostgreSQL with BENCH_DATABASE_URL (a fresh database is created on that server and dropped afterwards).
 */
import os from "node:os";
import fs from "node:fs";
import path from "node:path";
import { openDatabase } from "../../db/client";
import { loadConfig } from "../../app/config.server";
import { createLogger } from "../../app/services/observability/log.server";
import { createHomeserverClient } from "../../app/homeserver/index";
import { collectFederation } from "../../app/services/federation/collect.server";
import { startSteward } from "../../server/steward";
import { startSimulator } from "../../tests/simulator/index";
import { seedManyDestinations } from "../../tests/simulator/seed-federation";
import { TestClient } from "../../tests/helpers/http";
import { percentile, type BenchResult } from "../types";
import { FEDERATION_PAGE_URLS, openScratchPostgres } from "../seed";

const COUNT = Number(process.env.FED_BENCH_DESTINATIONS ?? 10_000);
const PAGE_REQUESTS = Number(process.env.FED_BENCH_REQUESTS ?? 100);

export default async function run(): Promise<BenchResult[]> {
  // Steward runs with NODE_ENV=production (npm start, the Docker image): measure the page with React's production
  // build, not the development one it would load here by default (about twice the render time).
  process.env.NODE_ENV ??= "production";
  const sim = await startSimulator({ users: 2 });
  seedManyDestinations(sim.state, { count: COUNT, seed: 1, now: sim.clock.now() });
  const url = process.env.BENCH_DATABASE_URL;
  const { database, drop } = url ? await openScratchPostgres(url, "fed") : { database: await openDatabase({}), drop: async () => {} };
  await database.migrate();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-bench-"));
  const results: BenchResult[] = [];
  try {
    const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken });
    const total = sim.state.federation.destinations.size;
    let t = performance.now();
    await collectFederation({ db: database.db, hs, now: () => new Date() });
    const first = (performance.now() - t) / 1000;
    // Steady state: some destinations change state between runs.
    for (const [i, d] of [...sim.state.federation.destinations.values()].entries()) {
      if (i % 50 === 0) Object.assign(d, { retry_last_ts: Date.now(), retry_interval: 600_000, failure_ts: Date.now() });
    }
    t = performance.now();
    const again = await collectFederation({ db: database.db, hs, now: () => new Date() });
    const second = (performance.now() - t) / 1000;
    results.push(
      { name: `collection, first run (${total} destinations)`, value: first, unit: "s", target: "≤ 10 s", ok: first <= 10 },
      { name: `collection, later run (${again.changes} state changes)`, value: second, unit: "s", target: "≤ 10 s", ok: second <= 10 },
    );

    const config = loadConfig({
      NODE_ENV: "production",
      HOMESERVER_URL: sim.url,
      STEWARD_DATA_DIR: dataDir,
      SESSION_SECRET: "bench-secret-bench-secret-bench-secret-0123",
      PORT: "0",
      HOST: "127.0.0.1",
      COLLECTORS_ENABLED: "false",
      LOG_LEVEL: "error",
      // What is measured is the indexed loader and the render: every request rendered, none from the page cache.
      PAGE_CACHE_SECONDS: "0",
    });
    const steward = await startSteward({ config, database, logger: createLogger("error", { service: "bench" }, () => {}) });
    try {
      const c = new TestClient(steward.url);
      const signIn = await c.signIn("admin", "admin", sim.url);
      if (signIn.status !== 302) throw new Error(`sign-in failed (${signIn.status})`);
      const urls = FEDERATION_PAGE_URLS;
      for (const u of urls) await (await c.get(u)).text(); // warm-up
      const times: number[] = [];
      for (let i = 0; i < PAGE_REQUESTS; i++) {
        const started = performance.now();
        const res = await c.get(urls[i % urls.length], { Accept: "text/html" });
        await res.text();
        if (res.status !== 200) throw new Error(`${urls[i % urls.length]} answered ${res.status}`);
        times.push(performance.now() - started);
      }
      const p95 = percentile(times, 95);
      results.push({
        name: `/federation page p95 (${PAGE_REQUESTS} requests, ${urls.length} filter/sort variants)`,
        value: p95,
        unit: "ms",
        target: "≤ 100 ms",
        ok: p95 <= 100,
        note: `median ${percentile(times, 50).toFixed(1)} ms; full HTML response through the real server, rendered for every request (page cache off); ${database.kind}; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
      });
    } finally {
      await steward.close();
    }
  } finally {
    await database.close();
    await drop();
    await sim.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return results;
}

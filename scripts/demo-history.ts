/**
 * The demo's lived-in past (issue 14, item 26): the simulator's world is rewound `days` and replayed day by day
 * (tests/simulator/history.ts), and at each simulated day Steward's real collectors run against it with the
 * simulator's clock as their `now`. So every "over time" chart is made of snapshots the collectors took themselves,
 * the same way a long-running installation would have; nothing is written as fixed rows. Runs once per data
 * directory (when no collector has ever run), before Steward starts serving.
 */
import { count } from "drizzle-orm";
import type { Config } from "../app/config.server";
import type { Database } from "../db/client";
import { collectorRuns } from "../db/schema";
import { createHomeserverClient } from "../app/homeserver/index";
import { createLogger } from "../app/services/observability/log.server";
import { runCollector, type CollectorDefinition } from "../app/services/collectors/framework.server";
import { COLLECTORS } from "../app/services/collectors/registry.server";
import { worldHistory } from "../tests/simulator/history";
import type { Simulator } from "../tests/simulator/index";

const DAY = 86_400_000;

/** How often each collector runs in the replayed past, in days: the cheap ones daily, the per-user scan weekly. */
const EVERY_DAYS: Record<string, number> = { "user-counts": 1, federation: 1, tokens: 1, posture: 7, "self-check": 7 };

export interface HistoryResult {
  days: number;
  runs: number;
  failed: number;
  ms: number;
}

/** Whether this database has seen a collector run (then its history is its own, and the demo leaves it alone). */
export async function hasHistory(database: Database): Promise<boolean> {
  const [row] = await database.db.select({ n: count() }).from(collectorRuns);
  return Number(row?.n ?? 0) > 0;
}

export async function seedDemoHistory(opts: {
  database: Database;
  config: Config;
  sim: Simulator;
  days: number;
  seed: number;
  collectors?: CollectorDefinition[];
  /** The collectors' admin token: the simulator's own by default; under MAS a personal access token (Synapse's is no admin there). */
  accessToken?: string;
}): Promise<HistoryResult> {
  const started = performance.now();
  const { sim } = opts;
  const present = sim.clock.now();
  const history = worldHistory(sim.state, { now: present, days: opts.days, seed: opts.seed });
  const hs = createHomeserverClient({ baseUrl: sim.url, accessToken: opts.accessToken ?? sim.adminToken, maxRetries: 0 });
  const log = createLogger("error", { service: "steward-demo-history" });
  const deps = { database: opts.database, config: opts.config, log, now: () => new Date(sim.clock.now()) };
  let runs = 0;
  let failed = 0;
  try {
    // Days before the present, oldest first, then the present itself: the overview opens current, not stale.
    for (let day = opts.days; day >= 0; day--) {
      const t = present - day * DAY;
      sim.clock.set(t);
      history.at(t);
      for (const def of opts.collectors ?? COLLECTORS) {
        if ((opts.days - day) % (EVERY_DAYS[def.name] ?? 1) !== 0 && day !== 0) continue;
        const outcome = await runCollector(deps, def, hs, "schedule");
        runs++;
        if (outcome.status !== "ok") failed++;
      }
    }
  } finally {
    history.finish();
    sim.clock.reset();
    // The history's requests are not the admin's: the request log starts empty for the live demo.
    sim.requestLog.length = 0;
  }
  return { days: opts.days, runs, failed, ms: Math.round(performance.now() - started) };
}

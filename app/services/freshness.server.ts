/**
 * How fresh a collector's data is, for the stale-data banner (app/components/StaleBanner.tsx): when it last
 * succeeded, whether that is older than two intervals, the last error, and whether collectors are waiting for
 * an admin token. Any report built on a collector can show it.
 */
import { and, desc, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { collectorRuns } from "../../db/schema";
import type { Config } from "../config.server";
import { intervalSeconds, type CollectorStatus } from "./collector.server";
import { collectorToken } from "./collector-token.server";
import { findCollector } from "./collectors.server";

/** Serialisable (ISO strings), so loaders can return it as is. */
export interface Freshness {
  collector: string;
  title: string;
  intervalSeconds: number;
  lastSuccessAt: string | null;
  /** The last successful run is older than two intervals. */
  stale: boolean;
  /** The newest run failed: its error (secret-free, from the run record). */
  lastError: string | null;
  lastErrorAt: string | null;
  running: boolean;
  /** Why collectors cannot run at all (no admin token yet), or null. */
  waiting: string | null;
}

export async function collectorFreshness(db: Db, config: Config, name: string, now: Date): Promise<Freshness> {
  const def = findCollector(name);
  if (!def) throw new Error(`No collector named ${name}.`);
  const [status, token] = await Promise.all([statusOf(db, name), collectorToken(db, config, now)]);
  const interval = intervalSeconds(def, config);
  const lastSuccess = status.lastSuccess?.finishedAt ?? null;
  const last = status.lastRun;
  const failed = last && (last.status === "failed" || last.status === "abandoned");
  return {
    collector: name,
    title: def.title,
    intervalSeconds: interval,
    lastSuccessAt: lastSuccess?.toISOString() ?? null,
    // With the schedule off (interval 0) only "refresh now" collects, so age alone does not make data stale.
    stale: lastSuccess !== null && interval > 0 && now.getTime() - lastSuccess.getTime() > 2 * interval * 1000,
    lastError: failed ? (last.error ?? last.status) : null,
    lastErrorAt: failed ? (last.finishedAt ?? last.startedAt).toISOString() : null,
    running: last?.status === "running",
    waiting: token.ok ? null : token.reason,
  };
}

/**
 * One collector's status (what collectorStatus() reports) with two index range scans on
 * (collector, started_at): flat cost however many runs a year of collection leaves behind.
 */
export async function statusOf(db: Db, name: string): Promise<CollectorStatus> {
  const r = collectorRuns;
  const [recent, [lastSuccess]] = await Promise.all([
    db.select().from(r).where(eq(r.collector, name)).orderBy(desc(r.startedAt)).limit(20),
    db.select().from(r).where(and(eq(r.collector, name), eq(r.status, "ok"))).orderBy(desc(r.startedAt)).limit(1),
  ]);
  let consecutiveFailures = 0;
  for (const run of recent) {
    if (run.status === "failed" || run.status === "abandoned") consecutiveFailures++;
    else if (run.status === "ok") break;
  }
  return { name, lastRun: recent[0] ?? null, lastSuccess: lastSuccess ?? null, consecutiveFailures };
}

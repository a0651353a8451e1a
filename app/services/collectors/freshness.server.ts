/**
 * How fresh a collector's data is, for the stale-data banner (app/components/StaleBanner.tsx): when it last
 * succeeded, whether that is older than two intervals, the last error, and whether collectors are waiting for
 * an admin token. Any report built on a collector can show it.
 */
import type { Db } from "../../../db/client";
import type { Config } from "../../config.server";
import { collectorStatus, intervalSeconds, type CollectorStatus } from "./framework.server";
import { collectorToken } from "./token.server";
import { findCollector } from "./registry.server";
import type { Freshness } from "./freshness";

export type { Freshness } from "./freshness";

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

/** One collector's status (see collectorStatus: two index range scans, flat cost at any history size). */
export async function statusOf(db: Db, name: string): Promise<CollectorStatus> {
  return (await collectorStatus(db, [name]))[0];
}

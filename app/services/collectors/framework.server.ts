/**
 * The collector framework: named periodic jobs that take snapshots from the homeserver into Steward's database.
 * Each run is recorded (collector_runs); a PostgreSQL advisory lock makes sure only one replica runs a given
 * collector at a time; failures back off exponentially; "refresh now" and `npm run collect` use the same runner.
 */
import { and, desc, eq } from "drizzle-orm";
import type { Database, Db } from "../../../db/client";
import { collectorRuns } from "../../../db/schema";
import type { Config } from "../../config.server";
import type { HomeserverClient } from "../../homeserver";
import { describeHomeserverError, isHomeserverError } from "../../homeserver/errors";
import type { Logger } from "../observability/log.server";

export interface CollectorRunContext {
  db: Db;
  database: Database;
  hs: HomeserverClient;
  config: Config;
  log: Logger;
  runId: number;
  now(): Date;
  /** Reports progress (throttled writes to the run row); the UI's progress bar reads it. */
  progress(items: number, total?: number | null): Promise<void>;
  /** Aborted when the process shuts down: stop at the next safe point and return. */
  signal: AbortSignal;
}

export interface CollectorResult {
  items: number;
  total?: number | null;
  /** One line for `npm run collect` and the logs, e.g. "412 users, 3 new". */
  summary?: string;
}

export interface CollectorDefinition {
  /** Stable name: used in URLs, locks, env vars and metrics. */
  name: string;
  title: string;
  /** Default interval in seconds, when the config has none for this name. */
  defaultIntervalSeconds: number;
  run(ctx: CollectorRunContext): Promise<CollectorResult>;
}

export type RunTrigger = "schedule" | "manual" | "cli";

export interface RunnerDeps {
  database: Database;
  config: Config;
  log: Logger;
  now?: () => Date;
  signal?: AbortSignal;
}

export type RunOutcome =
  | { status: "ok"; runId: number; result: CollectorResult }
  | { status: "failed"; runId: number; error: string }
  | { status: "busy" } // another process (replica) holds the lock
  | { status: "no_token"; reason: string };

export function intervalSeconds(def: CollectorDefinition, config: Config): number {
  return config.collectIntervals[def.name] ?? def.defaultIntervalSeconds;
}

/** A one-line, secret-free description of a collector failure for the run record and the stale banner. */
export function describeFailure(e: unknown): string {
  if (isHomeserverError(e)) return describeHomeserverError(e);
  const msg = e instanceof Error ? e.message : String(e);
  return msg.slice(0, 500);
}

/**
 * Runs one pass of a collector under its advisory lock and records it. Never throws for a collector failure:
 * the outcome says what happened.
 */
export async function runCollector(
  deps: RunnerDeps,
  def: CollectorDefinition,
  hs: HomeserverClient,
  trigger: RunTrigger,
  onStarted?: (runId: number) => void,
): Promise<RunOutcome> {
  const now = deps.now ?? (() => new Date());
  const db = deps.database.db;
  const locked = await deps.database.tryWithLock(`collector:${def.name}`, async (): Promise<RunOutcome> => {
    // We hold the lock, so any run still marked "running" belongs to a process that died mid-run.
    await db
      .update(collectorRuns)
      .set({ status: "abandoned", finishedAt: now(), error: "The process running it stopped before it finished." })
      .where(and(eq(collectorRuns.collector, def.name), eq(collectorRuns.status, "running")));
    const [row] = await db
      .insert(collectorRuns)
      .values({ collector: def.name, startedAt: now(), status: "running", items: 0, trigger })
      .returning({ id: collectorRuns.id });
    const runId = row.id;
    onStarted?.(runId);
    let lastProgressWrite = 0;
    const log = deps.log.child({ collector: def.name, runId });
    const started = performance.now();
    try {
      const result = await def.run({
        db,
        database: deps.database,
        hs,
        config: deps.config,
        log,
        runId,
        now,
        signal: deps.signal ?? new AbortController().signal,
        async progress(items, total) {
          const t = Date.now();
          if (t - lastProgressWrite < 250) return;
          lastProgressWrite = t;
          await db.update(collectorRuns).set({ items, total: total ?? null }).where(eq(collectorRuns.id, runId));
        },
      });
      await db
        .update(collectorRuns)
        .set({ status: "ok", finishedAt: now(), items: result.items, total: result.total ?? null, error: null })
        .where(eq(collectorRuns.id, runId));
      log.info("collector run", { status: "ok", items: result.items, ms: Math.round(performance.now() - started), summary: result.summary });
      return { status: "ok", runId, result };
    } catch (e) {
      const error = describeFailure(e);
      await db.update(collectorRuns).set({ status: "failed", finishedAt: now(), error }).where(eq(collectorRuns.id, runId));
      log.warn("collector run", { status: "failed", error, ms: Math.round(performance.now() - started) });
      return { status: "failed", runId, error };
    }
  });
  return locked.acquired ? locked.value : { status: "busy" };
}

export interface CollectorStatus {
  name: string;
  lastRun: typeof collectorRuns.$inferSelect | null;
  lastSuccess: typeof collectorRuns.$inferSelect | null;
  consecutiveFailures: number;
}

/**
 * The latest run, the latest successful run and the current failure streak of each collector: per collector, two
 * index range scans on (collector, started_at), so the cost stays flat however many runs a year leaves behind
 * (the scheduler asks every few seconds).
 */
export async function collectorStatus(db: Db, names: string[]): Promise<CollectorStatus[]> {
  const r = collectorRuns;
  return Promise.all(
    names.map(async (name) => {
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
    }),
  );
}

/** When a collector is next due: its interval after the last run, or an exponential backoff after failures. */
export function nextDueAt(status: CollectorStatus, intervalSec: number): Date | null {
  if (intervalSec <= 0) return null;
  const last = status.lastRun;
  if (!last) return new Date(0);
  if (last.status === "running") return null;
  const base = (last.finishedAt ?? last.startedAt).getTime();
  if (status.consecutiveFailures > 0) {
    const backoff = Math.min(intervalSec * 1000, 30_000 * 2 ** (status.consecutiveFailures - 1));
    return new Date(base + backoff);
  }
  return new Date(base + intervalSec * 1000);
}

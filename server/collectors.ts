/**
 * The collector scheduler of a running Steward: every few seconds it checks which collectors are due (from the
 * run records in the database, so replicas agree) and runs them under their advisory locks. It also serves
 * "refresh now" (CollectorControl) and stops at a safe point on shutdown.
 */
import type { StewardContext } from "../app/context.server";
import { collectorStatus, intervalSeconds, nextDueAt, runCollector, type CollectorDefinition, type RunTrigger } from "../app/services/collectors/framework.server";
import { COLLECTORS } from "../app/services/collectors/registry.server";
import { collectorToken } from "../app/services/collectors/token.server";
import { startTokenRepair } from "./token-repair";
import { startBulkJobs } from "./bulk-jobs";

const TICK_MS = 5_000;

export function createCollectorControl(ctx: StewardContext, abort: AbortController, definitions: CollectorDefinition[] = COLLECTORS) {
  const running = new Map<string, Promise<unknown>>();

  async function start(def: CollectorDefinition, trigger: RunTrigger, actor?: string): Promise<number | null> {
    if (running.has(def.name)) return null;
    const token = await collectorToken(ctx.db, ctx.config);
    if (!token.ok) throw new Error(token.reason);
    const hs = ctx.homeserver(token.homeserverUrl, token.accessToken);
    let resolveStarted!: (id: number | null) => void;
    const started = new Promise<number | null>((r) => (resolveStarted = r));
    const started_at = performance.now();
    const p = runCollector({ database: ctx.database, config: ctx.config, log: ctx.log, signal: abort.signal }, def, hs, trigger, (id) => resolveStarted(id))
      .then((outcome) => {
        resolveStarted(null);
        ctx.metrics.observe("steward_collector_duration_seconds", "Duration of collector runs.", { collector: def.name, status: outcome.status }, (performance.now() - started_at) / 1000, [0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800]);
        if (outcome.status === "failed") ctx.metrics.inc("steward_collector_failures_total", "Failed collector runs.", { collector: def.name });
        if (actor) ctx.log.info("collector triggered", { collector: def.name, actor, outcome: outcome.status });
      })
      .catch((e) => {
        resolveStarted(null);
        ctx.log.error("collector crashed", { collector: def.name, error: (e as Error).message });
      })
      .finally(() => running.delete(def.name));
    running.set(def.name, p);
    return started;
  }

  return {
    control: {
      list: () => definitions.map((c) => ({ name: c.name, title: c.title })),
      async trigger(name: string, actor: string) {
        const def = definitions.find((c) => c.name === name);
        if (!def) throw new Error(`No collector named ${name}.`);
        return start(def, "manual", actor);
      },
    },
    async tick() {
      const statuses = await collectorStatus(ctx.db, definitions.map((c) => c.name));
      const now = Date.now();
      for (const def of definitions) {
        if (abort.signal.aborted) return;
        const status = statuses.find((s) => s.name === def.name)!;
        const due = nextDueAt(status, intervalSeconds(def, ctx.config));
        if (due && due.getTime() <= now && !running.has(def.name)) {
          await start(def, "schedule").catch((e) => ctx.log.debug("collector waiting", { collector: def.name, reason: (e as Error).message }));
        }
      }
    },
    async drain() {
      await Promise.allSettled([...running.values()]);
    },
  };
}

export async function attachCollectors(ctx: StewardContext, definitions: CollectorDefinition[] = COLLECTORS): Promise<() => Promise<void>> {
  const abort = new AbortController();
  const scheduler = createCollectorControl(ctx, abort, definitions);
  ctx.collectors = scheduler.control;
  // Start-up repair of token issues a killed process left half-done (not a collector: it runs on every replica).
  const stopTokenRepair = startTokenRepair(ctx);
  // Bulk user jobs resume on start and run when confirmed (decision 020); on every replica, one at a time by lock.
  const stopBulkJobs = startBulkJobs(ctx);
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  if (ctx.config.collectorsEnabled) {
    const loop = () => {
      ticking = scheduler
        .tick()
        .catch((e) => ctx.log.warn("collector scheduler", { error: (e as Error).message }))
        .finally(() => {
          if (!abort.signal.aborted) timer = setTimeout(loop, TICK_MS);
        });
    };
    timer = setTimeout(loop, 1_000);
  }
  return async () => {
    abort.abort();
    if (timer) clearTimeout(timer);
    await ticking;
    await scheduler.drain();
    await stopTokenRepair();
    await stopBulkJobs();
  };
}

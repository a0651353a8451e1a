/**
 * Bulk user jobs in the background (decision 020): a pass at start (resumes a job a restart interrupted), on every
 * confirmation (`ctx.bulkJobs.kick()`), and every few seconds while a job is waiting — cheap when there is none (one
 * indexed query, no homeserver request). Each pass runs under the jobs' advisory lock, so replicas never overlap.
 */
import { inArray } from "drizzle-orm";
import type { StewardContext } from "../app/context.server";
import { userBulkJobs } from "../db/schema";
import { collectorToken } from "../app/services/collectors/token.server";
import { postureSettings } from "../app/services/posture/settings.server";
import { runBulkJobs } from "../app/services/users/bulk/run.server";
import { userActionsBackend } from "../app/services/users/actions/target.server";

const POLL_MS = 5_000;

export function startBulkJobs(ctx: StewardContext): () => Promise<void> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let again = false;

  async function pass(): Promise<void> {
    const [waiting] = await ctx.db.select({ id: userBulkJobs.id }).from(userBulkJobs).where(inArray(userBulkJobs.status, ["queued", "running"])).limit(1);
    if (!waiting) return;
    const token = await collectorToken(ctx.db, ctx.config);
    if (!token.ok) return; // waits for a token like the collectors (the progress page says "waiting to start")
    const hs = ctx.homeserver(token.homeserverUrl, token.accessToken);
    await runBulkJobs({
      db: ctx.db,
      database: ctx.database,
      hs,
      backend: userActionsBackend(hs),
      now: () => new Date(),
      concurrency: postureSettings(ctx.config).concurrency,
      log: ctx.log,
      signal: abort.signal,
    });
  }

  const kick = () => {
    if (abort.signal.aborted) return;
    if (running) {
      again = true;
      return;
    }
    running = pass()
      .catch((e) => ctx.log.warn("bulk jobs", { error: (e as Error).message }))
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          kick();
        }
      });
  };
  const loop = () => {
    kick();
    if (!abort.signal.aborted) {
      timer = setTimeout(loop, POLL_MS);
      timer.unref();
    }
  };
  ctx.bulkJobs = { kick };
  timer = setTimeout(loop, 500);
  timer.unref();
  return async () => {
    abort.abort();
    if (timer) clearTimeout(timer);
    await running;
  };
}

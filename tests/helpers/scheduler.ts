/**
 * The real server with its collector scheduler in the test's hands: `scheduler.tick()` runs what is due,
 * `scheduler.drain()` waits for runs in flight, and Refresh now works through `ctx.collectors`.
 */
import { createCollectorControl } from "../../server/collectors";
import { startTestSteward, type TestSteward } from "./steward";

export type Scheduler = ReturnType<typeof createCollectorControl>;

export async function startStewardWithScheduler(
  opts: Omit<Parameters<typeof startTestSteward>[0], "attach">,
): Promise<{ steward: TestSteward; scheduler: Scheduler }> {
  let scheduler!: Scheduler;
  const steward = await startTestSteward({
    ...opts,
    attach: async (ctx) => {
      const abort = new AbortController();
      scheduler = createCollectorControl(ctx, abort);
      ctx.collectors = scheduler.control;
      return async () => {
        abort.abort();
        await scheduler.drain();
      };
    },
  });
  return { steward, scheduler };
}

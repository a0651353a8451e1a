/**
 * The two federation collectors (docs/decisions, "federation snapshots"):
 * - "federation" (every 5 min, COLLECT_FEDERATION_SECONDS): the destinations list into snapshots;
 * - "self-check" (hourly by default): the self-check of our own server, stored as history.
 * They are separate so a slow or unreachable self-check never delays the destinations snapshot, and each has
 * its own "Refresh now" and failure streak.
 */
import type { CollectorDefinition } from "../collectors/framework.server";
import { collectFederation } from "./collect.server";
import { defaultSelfCheckEnv, runSelfCheck, saveSelfCheck, serverNameOf } from "./self-check/run.server";

export const federationCollector: CollectorDefinition = {
  name: "federation",
  title: "Federation destinations",
  defaultIntervalSeconds: 5 * 60,
  async run(ctx) {
    const r = await collectFederation({ db: ctx.db, hs: ctx.hs, now: ctx.now, runId: ctx.runId, progress: ctx.progress, signal: ctx.signal });
    return { items: r.items, total: r.total, summary: r.summary };
  },
};

export const selfCheckCollector: CollectorDefinition = {
  name: "self-check",
  title: "Federation self-check",
  defaultIntervalSeconds: 60 * 60,
  async run(ctx) {
    // The server to check is the one whose admin token we hold.
    const me = await ctx.hs.auth.whoami();
    const env = defaultSelfCheckEnv(serverNameOf(me.userId), ctx.config.selfCheck, { homeserverUrl: ctx.hs.http.baseUrl });
    const report = await runSelfCheck({ ...env, now: () => ctx.now().getTime() });
    await saveSelfCheck(ctx.db, report, "collector");
    const failed = report.results.filter((r) => r.status === "fail").length;
    return { items: report.results.length, total: report.results.length, summary: `${report.serverName}: ${report.status} (${failed} failing)` };
  },
};

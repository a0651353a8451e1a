/** The "posture" collector: a security posture scan every 6 hours (COLLECT_POSTURE_SECONDS), resumable. */
import type { CollectorDefinition } from "../collectors/framework.server";
import { runPostureScan } from "./scan.server";
import { postureSettings } from "./settings.server";

export const postureCollector: CollectorDefinition = {
  name: "posture",
  title: "Security posture",
  defaultIntervalSeconds: 6 * 3600,
  async run(ctx) {
    const r = await runPostureScan({
      db: ctx.db,
      hs: ctx.hs,
      now: ctx.now,
      log: ctx.log,
      signal: ctx.signal,
      progress: (n, total) => ctx.progress(n, total),
      settings: postureSettings(ctx.config),
    });
    const perUser = r.usersScanned ? (r.requests / r.usersScanned).toFixed(2) : "0";
    return {
      items: r.usersScanned,
      total: r.status === "complete" ? r.usersScanned : null,
      summary:
        `${r.status === "complete" ? "scan complete" : "scan interrupted (will resume)"}${r.resumed ? ", resumed" : ""}: ` +
        `${r.usersScanned} users, ${perUser} requests/user, backup source ${r.backupSource}` +
        (r.keyQueryLimited ? ", keys/query limited to shared rooms (msc4263)" : ""),
    };
  },
};

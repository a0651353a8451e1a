/**
 * `npm run collect [-- --only NAME]`: one pass of each collector, then exit (for cron). Prints one line per
 * collector and exits non-zero when one failed (or could not run).
 */
import { ConfigError, databaseOptions, loadConfig } from "../app/config.server";
import { openDatabase } from "../db/client";
import { DataDirLockedError } from "../db/lockfile";
import { createHomeserverClient } from "../app/homeserver/index";
import { createLogger } from "../app/services/observability/log.server";
import { runCollector } from "../app/services/collectors/framework.server";
import { COLLECTORS } from "../app/services/collectors/registry.server";
import { collectorToken } from "../app/services/collectors/token.server";

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const onlyIdx = args.indexOf("--only");
  const only = onlyIdx >= 0 ? args[onlyIdx + 1] : undefined;
  if (onlyIdx >= 0 && !only) {
    console.error("--only needs a collector name: " + COLLECTORS.map((c) => c.name).join(", "));
    return 2;
  }
  const selected = only ? COLLECTORS.filter((c) => c.name === only) : COLLECTORS;
  if (only && !selected.length) {
    console.error(`No collector named "${only}". Known: ${COLLECTORS.map((c) => c.name).join(", ") || "(none)"}`);
    return 2;
  }
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    console.error(e instanceof ConfigError ? e.message : String(e));
    return 2;
  }
  let database;
  try {
    database = await openDatabase(databaseOptions(config));
  } catch (e) {
    console.error(e instanceof DataDirLockedError ? e.message : `Cannot open the database: ${(e as Error).message}`);
    return 3;
  }
  try {
    await database.migrate();
    const token = await collectorToken(database.db, config);
    if (!token.ok) {
      console.error(token.reason);
      return 4;
    }
    const hs = createHomeserverClient({ baseUrl: token.homeserverUrl, accessToken: token.accessToken, timeoutMs: config.homeserverTimeoutMs });
    const log = createLogger(process.env.LOG_LEVEL === "debug" ? "debug" : "warn", { service: "steward-collect" });
    let failed = 0;
    if (!selected.length) console.log("No collectors are defined.");
    for (const def of selected) {
      const started = Date.now();
      const outcome = await runCollector({ database, config, log }, def, hs, "cli");
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      if (outcome.status === "ok") console.log(`${def.name}: ok, ${outcome.result.summary ?? `${outcome.result.items} items`} (${secs} s)`);
      // Another replica running it is the advisory lock doing its job, not a failure.
      else if (outcome.status === "busy") console.log(`${def.name}: skipped, another Steward process is running it right now`); else if (outcome.status === "failed") {
        failed++;
        console.log(`${def.name}: FAILED, ${outcome.error} (${secs} s)`);
      }
    }
    return failed ? 1 : 0;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`collect failed: ${(e as Error).message}`);
    process.exit(1);
  },
);

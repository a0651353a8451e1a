/**
 * Production entry: validate configuration, open and migrate the database, serve, and on SIGTERM/SIGINT shut
 * down cleanly (closing the database: an open PGlite would keep the process alive).
 */
import { ConfigError, loadConfig } from "./app/config.server";
import { DataDirLockedError } from "./db/lockfile";
import { startSteward } from "./server/steward";
import { attachCollectors } from "./server/collectors";

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  let steward;
  try {
    steward = await startSteward({ config, attach: attachCollectors });
  } catch (e) {
    if (e instanceof DataDirLockedError) {
      console.error(e.message);
      process.exit(3);
    }
    console.error(`Steward failed to start: ${(e as Error).message}`);
    process.exit(1);
  }
  steward.context.log.info("listening", { url: steward.url, database: steward.context.database.kind, homeserver: config.homeserverUrl ?? null });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    steward.context.log.info("shutting down", { signal });
    await steward.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("unhandledRejection", (reason) => steward.context.log.error("unhandled rejection", { error: reason instanceof Error ? reason.message : String(reason) }));
}

void main();

/**
 * Starts the real Steward server (the Remix build behind Express, as in production) on a random port, on a fresh
 * test database, against the given homeserver URL. Requires `npm run build` (npm test does it).
 */
import os from "node:os";
import path from "node:path";
import fs from "node:fs";
import { loadConfig, type Config } from "../../app/config.server";
import { createLogger } from "../../app/services/observability/log.server";
import { startSteward, type RunningSteward } from "../../server/steward";
import { createTestDb, type TestDatabase } from "./db";
import type { StewardContext } from "../../app/context.server";
import { attachCollectors } from "../../server/collectors";

export interface TestSteward extends RunningSteward {
  database: TestDatabase;
  config: Config;
  logs: string[];
}

export async function startTestSteward(opts: {
  homeserverUrl: string;
  env?: Record<string, string>;
  database?: TestDatabase;
  /** Leave the database open at close (a test that restarts Steward on the same data). */
  keepDatabase?: boolean;
  attach?: (ctx: StewardContext) => Promise<(() => Promise<void>) | void>;
  /** How often housekeeping (rate-limit and expired-session purge) runs; the production default otherwise. */
  housekeepingEveryMs?: number;
}): Promise<TestSteward> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-data-"));
  const config = loadConfig({
    NODE_ENV: "test",
    HOMESERVER_URL: opts.homeserverUrl,
    STEWARD_DATA_DIR: dataDir,
    SESSION_SECRET: "test-secret-test-secret-test-secret-0123456789",
    PORT: "0",
    HOST: "127.0.0.1",
    COLLECTORS_ENABLED: "false",
    LOG_LEVEL: "info",
    ...opts.env,
  });
  const database = opts.database ?? (await createTestDb());
  const logs: string[] = [];
  const steward = await startSteward({
    config,
    database,
    logger: createLogger("debug", { service: "steward-test" }, (l) => logs.push(l)),
    // Collectors are attached (refresh-now works) but their schedule is off unless a test turns it on.
    attach: opts.attach ?? attachCollectors,
    housekeepingEveryMs: opts.housekeepingEveryMs,
  });
  const close = steward.close.bind(steward);
  return {
    ...steward,
    database,
    config,
    logs,
    async close() {
      await close();
      if (!opts.keepDatabase) await database.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * `npm run demo`: Steward on the embedded database against the homeserver simulator (seeded with realistic
 * users and a few months of history), or against HOMESERVER_URL when one is configured. Builds the app first, so it
 * works right after `npm ci`; checks the port and the data directory before that, so a clash fails at once.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { databaseOptions, loadConfig, ConfigError, type Config } from "../app/config.server";
import { openDatabase, type Database } from "../db/client";
import { DataDirLockedError } from "../db/lockfile";
import { startSteward, ROOT } from "../server/steward";
import { attachCollectors } from "../server/collectors";
import { portInUse, startProblems } from "../server/preflight";
import { startSimulator, type Simulator } from "../tests/simulator/index";
import { hasHistory, seedDemoHistory } from "./demo-history";

function configOrExit(env: NodeJS.ProcessEnv): Config {
  try {
    return loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
}

/**
 * The simulator's port, kept in the data directory: HOMESERVER_URL includes it, and Steward treats a changed
 * HOMESERVER_URL as a new homeserver (decision 019), so a restarted demo must come back on the same address.
 */
async function simulatorPort(dataDir: string, env: NodeJS.ProcessEnv): Promise<number> {
  if (env.SIMULATOR_PORT) return Number(env.SIMULATOR_PORT);
  const file = path.join(dataDir, "demo-simulator-port");
  const remembered = Number(fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : NaN);
  if (Number.isInteger(remembered) && remembered > 0) {
    if (!(await portInUse(remembered, "127.0.0.1"))) return remembered;
    console.log(`  The demo homeserver's usual port ${remembered} is taken; using another one (Steward will see a new homeserver).`);
  }
  return 0;
}

async function main() {
  const env = { ...process.env };
  const simulated = !env.HOMESERVER_URL;
  // Settings, port and data directory first: each problem is reported before the build's seconds are spent.
  // (With the simulator the homeserver address is not known yet; a placeholder stands in for this check.)
  const early = configOrExit(simulated ? { ...env, HOMESERVER_URL: "http://127.0.0.1:1" } : env);
  const problems = await startProblems(early);
  if (problems.length) {
    console.error(`Steward cannot start:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    process.exit(3);
  }
  // STEWARD_DEMO_NO_BUILD=1: the build is already current (the test suite builds before it runs the demo's test, and
  // a second build there would rewrite files other tests are loading).
  if (env.STEWARD_DEMO_NO_BUILD !== "1") {
    console.log("Building Steward…");
    const build = spawnSync(process.execPath, [`${ROOT}/node_modules/@remix-run/dev/dist/cli.js`, "build"], { cwd: ROOT, encoding: "utf8" });
    if (build.status !== 0) {
      console.error(build.stdout + build.stderr);
      console.error("The build failed; see the errors above.");
      process.exit(1);
    }
  }
  let sim: Simulator | undefined;
  if (simulated) {
    fs.mkdirSync(early.dataDir, { recursive: true });
    const seed = Number(env.DEMO_SEED ?? 1);
    sim = await startSimulator({ users: Number(env.DEMO_USERS ?? 40), seed, port: await simulatorPort(early.dataDir, env) });
    fs.writeFileSync(path.join(early.dataDir, "demo-simulator-port"), new URL(sim.url).port);
    env.HOMESERVER_URL = sim.url;
    // The simulated server's name (sim.test) resolves nowhere, so the federation self-check would report four
    // failures that say nothing about Steward. Point it at the simulator, as a healthy server delegating to it
    // (server well-known → the simulator's address; plain http, so no TLS check): the demo then shows what a working
    // setup looks like, and the self-check page still shows every check it makes.
    sim.state.federation.serverWellKnown = { "m.server": new URL(sim.url).host };
    env.STEWARD_SELF_CHECK_ORIGIN ??= sim.url;
    env.STEWARD_SELF_CHECK_FEDERATION_SCHEME ??= "http";
  }
  env.PUBLIC_REGISTRATION ??= "true";
  // The demo's terminal is for people: request logs only when asked for.
  env.LOG_LEVEL ??= "warn";
  const config = configOrExit(env);
  let database: Database | undefined;
  let steward;
  try {
    database = await openDatabase(databaseOptions(config));
    await database.migrate();
    // A new demo gets a lived-in past (DEMO_HISTORY_DAYS, 0 for none); a restarted one keeps its own.
    const days = Number(env.DEMO_HISTORY_DAYS ?? 90);
    if (sim && days > 0 && !(await hasHistory(database))) {
      console.log(`Replaying ${days} days of the demo homeserver's life through Steward's collectors…`);
      const h = await seedDemoHistory({ database, config, sim, days, seed: Number(env.DEMO_SEED ?? 1) });
      console.log(`  ${h.runs} collections in ${(h.ms / 1000).toFixed(1)} s${h.failed ? ` (${h.failed} failed)` : ""}.`);
    }
    steward = await startSteward({ config, database, attach: attachCollectors, logger: undefined });
  } catch (e) {
    console.error(e instanceof DataDirLockedError ? e.message : `Steward failed to start: ${(e as Error).message}`);
    await database?.close();
    await sim?.close();
    process.exit(e instanceof DataDirLockedError ? 3 : 1);
  }
  const shown = steward.url.replace("127.0.0.1", "localhost");
  console.log("");
  console.log(`  Steward is running at ${shown}`);
  if (sim) {
    console.log(`  Demo homeserver (simulator): ${sim.url}  (server name ${sim.serverName})`);
    console.log(`  Sign in with username "admin" and password "admin".`);
  } else {
    console.log(`  Homeserver: ${config.homeserverUrl}`);
  }
  console.log(`  Embedded database in ${config.dataDir}. Press Ctrl+C to stop.`);
  console.log("");
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await steward.close();
    // Steward was handed the database, so closing it is ours.
    await database?.close();
    await sim?.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

void main();

/**
 * `npm run demo`: Steward on the embedded database against the homeserver simulator (seeded with realistic
 * users and a few months of history), or against HOMESERVER_URL when one is configured. Builds the app first, so it
 * works right after `npm ci`; checks the port and the data directory before that, so a clash fails at once.
 * `npm run demo -- --mas`: the simulated Synapse delegates accounts and sign-in to the MAS simulator (issue 16).
 */
import { spawnSync } from "node:child_process";
import { databaseOptions, loadConfig, ConfigError, type Config } from "../app/config.server";
import { openDatabase, type Database } from "../db/client";
import { DataDirLockedError } from "../db/lockfile";
import { startSteward, ROOT } from "../server/steward";
import { attachCollectors } from "../server/collectors";
import { startProblems } from "../server/preflight";
import { hasHistory, seedDemoHistory } from "./demo-history";
import { DEMO_MAS_SYNAPSE_VERSION, startDemoHomeservers, type DemoHomeservers } from "./demo-homeservers";

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

async function main() {
  const env = { ...process.env };
  const simulated = !env.HOMESERVER_URL;
  const withMas = process.argv.slice(2).includes("--mas");
  if (withMas && !simulated) console.log("  --mas applies to the demo homeserver only; HOMESERVER_URL is set, so Steward asks that server how it signs in.");
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
    const remix = spawnSync(process.execPath, [`${ROOT}/node_modules/@remix-run/dev/dist/cli.js`, "build"], { cwd: ROOT, encoding: "utf8" });
    // The scripts' compressed copies (decision 037), as `npm run build` makes them.
    const build = remix.status === 0 ? spawnSync(process.execPath, [`${ROOT}/scripts/precompress-assets.mjs`], { cwd: ROOT, encoding: "utf8" }) : remix;
    if (build.status !== 0) {
      console.error(build.stdout + build.stderr);
      console.error("The build failed; see the errors above.");
      process.exit(1);
    }
  }
  let homeservers: DemoHomeservers | undefined;
  if (simulated) {
    homeservers = await startDemoHomeservers({ dataDir: early.dataDir, env, mas: withMas });
    env.HOMESERVER_URL = homeservers.sim.url;
    env.STEWARD_SELF_CHECK_ORIGIN ??= homeservers.sim.url;
    env.STEWARD_SELF_CHECK_FEDERATION_SCHEME ??= "http";
    // Under MAS, background collection uses a personal access token with both admin scopes (decision 023), as the
    // README tells an operator to set up; on classic Synapse collectors borrow the signed-in admin's token.
    if (homeservers.mas && !env.HOMESERVER_ADMIN_TOKEN) env.HOMESERVER_ADMIN_TOKEN = homeservers.adminToken;
  }
  const sim = homeservers?.sim;
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
      const h = await seedDemoHistory({ database, config, sim, days, seed: Number(env.DEMO_SEED ?? 1), accessToken: homeservers!.adminToken });
      console.log(`  ${h.runs} collections in ${(h.ms / 1000).toFixed(1)} s${h.failed ? ` (${h.failed} failed)` : ""}.`);
    }
    steward = await startSteward({ config, database, attach: attachCollectors, logger: undefined });
  } catch (e) {
    console.error(e instanceof DataDirLockedError ? e.message : `Steward failed to start: ${(e as Error).message}`);
    await database?.close();
    await homeservers?.close();
    process.exit(e instanceof DataDirLockedError ? 3 : 1);
  }
  const shown = steward.url.replace("127.0.0.1", "localhost");
  console.log("");
  console.log(`  Steward is running at ${shown}`);
  if (sim && homeservers?.mas) {
    console.log(`  Demo homeserver (simulator, Synapse ${DEMO_MAS_SYNAPSE_VERSION} delegating to MAS): ${sim.url}  (server name ${sim.serverName})`);
    console.log(`  Authentication service (MAS simulator): ${homeservers.mas.url}`);
    console.log(`  Sign in with the authentication service: username "admin" and password "admin" on its page, then allow access.`);
    console.log(`  Invitees register at ${homeservers.mas.url}/register and paste the registration token there.`);
    console.log(`  This development MAS allows http://localhost clients (allow_insecure_uris; see README, "Running with MAS").`);
  } else if (sim) {
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
    await homeservers?.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

void main();

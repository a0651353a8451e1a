/**
 * `npm run demo`: Steward on the embedded database against the homeserver simulator (seeded with realistic
 * users), or against HOMESERVER_URL when one is configured. Builds the app first, so it works right after `npm ci`.
 */
import { spawnSync } from "node:child_process";
import { loadConfig, ConfigError } from "../app/config.server";
import { DataDirLockedError } from "../db/lockfile";
import { startSteward, ROOT } from "../server/steward";
import { attachCollectors } from "../server/collectors";
import { startSimulator, type Simulator } from "../tests/simulator/index";

async function main() {
  // STEWARD_DEMO_NO_BUILD=1: the build is already current (the test suite builds before it runs the demo's test, and
  // a second build there would rewrite files other tests are loading).
  if (process.env.STEWARD_DEMO_NO_BUILD !== "1") {
    console.log("Building Steward…");
    const build = spawnSync(process.execPath, [`${ROOT}/node_modules/@remix-run/dev/dist/cli.js`, "build"], { cwd: ROOT, encoding: "utf8" });
    if (build.status !== 0) {
      console.error(build.stdout + build.stderr);
      console.error("The build failed; see the errors above.");
      process.exit(1);
    }
  }
  let sim: Simulator | undefined;
  const env = { ...process.env };
  if (!env.HOMESERVER_URL) {
    sim = await startSimulator({ users: Number(env.DEMO_USERS ?? 40), seed: Number(env.DEMO_SEED ?? 1), port: Number(env.SIMULATOR_PORT ?? 0) });
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
  let config;
  try {
    config = loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      await sim?.close();
      process.exit(2);
    }
    throw e;
  }
  let steward;
  try {
    steward = await startSteward({ config, attach: attachCollectors, logger: undefined });
  } catch (e) {
    console.error(e instanceof DataDirLockedError ? e.message : `Steward failed to start: ${(e as Error).message}`);
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
    await sim?.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

void main();

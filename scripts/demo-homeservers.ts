/**
 * The demo's homeserver: the Synapse simulator, and with `--mas` the MAS simulator beside it (issue 16, item 9), so
 * a newcomer sees the delegated mode: sign-in through MAS's login and consent pages, registration tokens in MAS's
 * admin API, Synapse 1.157 answering 404 where it delegates. Both keep their port per data directory: Steward treats
 * a changed HOMESERVER_URL as a new homeserver (decision 019), and MAS's issuer is where Steward registered itself.
 */
import fs from "node:fs";
import path from "node:path";
import { portInUse } from "../server/preflight";
import { startSimulator, type Simulator } from "../tests/simulator/index";
import { startMasSimulator, type MasSimulator } from "../tests/simulator/mas/index";

/** The Synapse release the MAS demo follows: stable `matrix_authentication_service`, no MSC3861 admin token. */
export const DEMO_MAS_SYNAPSE_VERSION = "1.157.1";

export interface DemoHomeservers {
  sim: Simulator;
  mas: MasSimulator | null;
  /**
   * An admin token for the history replay and background collection. Classic: the simulator's admin token. Under
   * MAS: a personal access token of `admin` with both admin scopes, as an operator gives HOMESERVER_ADMIN_TOKEN
   * (README, "Running with MAS"); a plain Synapse token is never an admin there.
   */
  adminToken: string;
  close(): Promise<void>;
}

/** A port remembered in the data directory, reused when free; `fromEnv` (e.g. SIMULATOR_PORT) always wins. */
async function rememberedPort(dataDir: string, file: string, fromEnv: string | undefined, what: string): Promise<number> {
  if (fromEnv) return Number(fromEnv);
  const at = path.join(dataDir, file);
  const remembered = Number(fs.existsSync(at) ? fs.readFileSync(at, "utf8").trim() : NaN);
  if (Number.isInteger(remembered) && remembered > 0) {
    if (!(await portInUse(remembered, "127.0.0.1"))) return remembered;
    console.log(`  The demo ${what}'s usual port ${remembered} is taken; using another one (Steward will see a new ${what}).`);
  }
  return 0;
}

const remember = (dataDir: string, file: string, url: string) => fs.writeFileSync(path.join(dataDir, file), new URL(url).port);

export async function startDemoHomeservers(o: { dataDir: string; env: NodeJS.ProcessEnv; mas: boolean }): Promise<DemoHomeservers> {
  fs.mkdirSync(o.dataDir, { recursive: true });
  const seed = Number(o.env.DEMO_SEED ?? 1);
  const sim = await startSimulator({
    users: Number(o.env.DEMO_USERS ?? 40),
    seed,
    port: await rememberedPort(o.dataDir, "demo-simulator-port", o.env.SIMULATOR_PORT, "homeserver"),
    ...(o.mas ? { mas: true, synapseVersion: DEMO_MAS_SYNAPSE_VERSION } : {}),
  });
  remember(o.dataDir, "demo-simulator-port", sim.url);
  // The simulated server's name (sim.test) resolves nowhere, so the federation self-check would report four
  // failures that say nothing about Steward. Point it at the simulator, as a healthy server delegating to it
  // (server well-known → the simulator's address; plain http, so no TLS check): the demo then shows what a working
  // setup looks like, and the self-check page still shows every check it makes.
  sim.state.federation.serverWellKnown = { "m.server": new URL(sim.url).host };
  if (!o.mas) return { sim, mas: null, adminToken: sim.adminToken, close: () => sim.close() };

  let mas: MasSimulator;
  try {
    // Users are seeded from Synapse's (as syn2mas does): the same accounts and passwords on both sides.
    mas = await startMasSimulator({ synapse: sim, port: await rememberedPort(o.dataDir, "demo-mas-port", o.env.MAS_SIMULATOR_PORT, "authentication service") });
  } catch (e) {
    await sim.close();
    throw e;
  }
  remember(o.dataDir, "demo-mas-port", mas.url);
  // A development MAS for an http://localhost Steward: MAS's default policy registers web clients only on https
  // (mas-api.md §2.1), so the demo's MAS allows insecure URIs, as the README tells a developer to configure theirs.
  mas.state.policyData.client_registration.allow_insecure_uris = true;
  return {
    sim,
    mas,
    adminToken: mas.adminToken,
    async close() {
      await mas.close();
      await sim.close();
    },
  };
}

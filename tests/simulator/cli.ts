// `npm run simulator -- --users 40 --seed 1 --port 8008 [--server-name x] [--rate-limits] [--latency MS]
//  [--mas] [--booleans-as-ints] [--version 1.132.0] [--host 127.0.0.1]`
// --mas delegates to a MAS simulator started beside it (random port), whose URL and admin token are printed.
// Runs the simulator standalone (demo mode, manual poking) until SIGINT/SIGTERM.
import { parseArgs } from "node:util";
import { ADMIN_PASSWORD, passwordFor, startSimulator } from "./index";
import { startMasSimulator } from "./mas/index";

function int(name: string, raw: string | undefined, def: number): number {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a non-negative integer (got ${raw})`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: "string" },
      seed: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      "server-name": { type: "string" },
      "rate-limits": { type: "boolean" },
      latency: { type: "string" },
      mas: { type: "boolean" },
      "booleans-as-ints": { type: "boolean" },
      version: { type: "string" },
    },
    strict: true,
  });
  const sim = await startSimulator({
    users: int("users", values.users, 40),
    seed: int("seed", values.seed, 1),
    port: int("port", values.port, 8008),
    host: values.host,
    serverName: values["server-name"],
    rateLimits: values["rate-limits"] ?? false,
    latencyMs: int("latency", values.latency, 0),
    mas: values.mas ?? false,
    booleansAsInts: values["booleans-as-ints"] ?? false,
    version: values.version,
  });
  const mas = values.mas ? await startMasSimulator({ synapse: sim, host: values.host }) : null;
  const example = [...sim.state.users.values()].find((u) => !u.admin && u.password !== null && !u.locked);
  console.log(`Synapse simulator listening on ${sim.url} (server name ${sim.serverName}, ${sim.state.users.size} users)`);
  console.log(`  admin user:     @admin:${sim.serverName}  password: ${ADMIN_PASSWORD}`);
  if (mas) {
    console.log(`MAS simulator listening on ${mas.url} (Synapse delegates sign-in to it)`);
    console.log(`  admin personal access token (both admin scopes): ${mas.adminToken}`);
  } else console.log(`  admin token:    ${sim.adminToken}`);
  if (example) console.log(`  non-admin e.g. ${example.name}  password: ${passwordFor(example.localpart)}`);
  console.log("  other users:    password is <localpart>-pass (guests and deactivated users have none)");

  const stop = (signal: string) => {
    console.log(`\n${signal}: stopping simulator`);
    Promise.all([sim.close(), mas?.close()]).then(() => process.exit(0));
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

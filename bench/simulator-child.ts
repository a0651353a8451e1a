/**
 * The homeserver simulator in a process of its own, for bench/simulator-process.ts: started with the parent's IPC
 * channel, it answers the world-building requests the screens benchmark makes (see `Request` there) and the
 * homeserver's HTTP API on its own event loop, as a real Synapse would beside Steward.
 */
import { startSimulator } from "../tests/simulator/index";
import { addUser } from "../tests/simulator/state";
import { seedManyDestinations } from "../tests/simulator/seed-federation";
import { addAccounts } from "./seed";
import type { Reply, Request } from "./simulator-process";

const sim = await startSimulator({ users: 5, seed: 1 });

function handle(r: Request): unknown {
  switch (r.op) {
    case "fillTo":
      addAccounts(sim, r.users - sim.state.users.size);
      return sim.state.users.size;
    case "seedDestinations":
      seedManyDestinations(sim.state, { count: r.count, seed: 1, now: sim.clock.now() });
      return sim.state.federation.destinations.size;
    case "addUser":
      addUser(sim.state, { localpart: r.localpart }, sim.clock.now());
      return `@${r.localpart}:${sim.serverName}`;
    case "requestCount":
      return sim.requestLog.length;
    case "requestMs": {
      const path = new RegExp(r.path);
      return sim.requestLog.slice(r.from).filter((e) => path.test(e.path)).reduce((n, e) => n + e.ms, 0);
    }
  }
}

process.on("message", (m: { id: number; request: Request }) => {
  let reply: Reply;
  try {
    reply = { id: m.id, ok: true, value: handle(m.request) };
  } catch (e) {
    reply = { id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  process.send!(reply);
});
process.on("disconnect", () => void sim.close().then(() => process.exit(0)));
process.send!({ ready: { url: sim.url, adminToken: sim.adminToken, serverName: sim.serverName } });

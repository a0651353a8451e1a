/**
 * The self-check of our own server against the simulator standing in for it (STEWARD_SELF_CHECK_ORIGIN-style
 * overrides, injected SRV resolver): a healthy setup passes, and each failure mode — client well-known missing or
 * malformed, server well-known malformed, signing key missing / expired / badly signed, federation unreachable or
 * timing out, SRV records — gives its own message. Results are stored as history.
 */
import net from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import { startMasSimulator } from "../simulator/mas/index";
import { createTestDb, type TestDatabase } from "../helpers/db";
import { currentSelfCheckProblems, runSelfCheck, saveSelfCheck, selfCheckHistory, defaultSelfCheckEnv, type SelfCheckEnv } from "../../app/services/federation/self-check/run.server";
import type { CheckId, CheckResult } from "../../app/services/federation/self-check/checks.server";
import type { SrvRecord } from "../../app/services/federation/self-check/resolve.server";
import { loadConfig } from "../../app/config.server";

let sim: Simulator;
let port: number;

beforeAll(async () => {
  sim = await startSimulator({ users: 1, serverName: "sim.test" });
  port = Number(new URL(sim.url).port);
});
afterAll(async () => {
  await sim?.close();
});
beforeEach(() => {
  const fed = sim.state.federation;
  fed.clientWellKnown = "default";
  fed.serverWellKnown = { "m.server": `127.0.0.1:${port}` };
  fed.serverKeyMode = "ok";
  sim.clearFaults();
});

/** A port nothing listens on (fetch refuses "bad ports" such as 1 before connecting, so take a free one). */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port: p } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return p;
}

const noSrv = async (): Promise<SrvRecord[]> => {
  throw Object.assign(new Error("queryA ENOTFOUND"), { code: "ENOTFOUND" });
};

function env(over: Partial<SelfCheckEnv> = {}): SelfCheckEnv {
  return {
    serverName: "sim.test",
    homeserverUrl: sim.url,
    now: () => sim.clock.now(),
    timeoutMs: 2000,
    resolveSrv: noSrv,
    inspectTls: async () => {
      throw new Error("no TLS in this test");
    },
    wellKnownOrigin: sim.url,
    federationScheme: "http",
    ...over,
  };
}

const byId = (results: CheckResult[]) => Object.fromEntries(results.map((r) => [r.id, r])) as Record<CheckId, CheckResult>;

describe("self-check", () => {
  it("passes a correctly set up server (TLS skipped on plain http)", async () => {
    const report = await runSelfCheck(env());
    const r = byId(report.results);
    expect(Object.fromEntries(report.results.map((x) => [x.id, x.status]))).toEqual({
      "client-wellknown": "pass",
      "client-api": "pass",
      "sign-in": "pass",
      "server-discovery": "pass",
      "federation-api": "pass",
      "server-keys": "pass",
      "tls-certificate": "skip",
    });
    expect(report.status).toBe("pass");
    expect(r["client-wellknown"].summary).toContain(`${sim.url}/`);
    expect(r["sign-in"].summary).toBe("Admins sign in with their Synapse account (classic sign-in, as the homeserver says).");
    expect(r["server-discovery"].summary).toContain(`delegated by ${sim.url}/.well-known/matrix/server to 127.0.0.1:${port}`);
    expect(r["federation-api"].summary).toContain("Synapse 1.132.0");
    expect(r["server-keys"].summary).toMatch(/ed25519:\S+ present, signature valid/);
  });

  it("warns without a client well-known, and checks Steward's homeserver URL instead", async () => {
    sim.state.federation.clientWellKnown = null;
    const r = byId((await runSelfCheck(env())).results);
    expect(r["client-wellknown"]).toMatchObject({ status: "warn" });
    expect(r["client-wellknown"].summary).toContain("No client well-known");
    expect(r["client-api"]).toMatchObject({ status: "pass" });
    expect(r["client-api"].summary).toContain("Steward's homeserver URL");
  });

  it("fails a client well-known without a base_url", async () => {
    sim.state.federation.clientWellKnown = { "m.homeserver": {} };
    const r = byId((await runSelfCheck(env())).results);
    expect(r["client-wellknown"].status).toBe("fail");
    expect(r["client-wellknown"].summary).toContain(`has no valid "m.homeserver"."base_url"`);
  });

  it("fails a server well-known that is a URL instead of host:port, and falls back to port 8448", async () => {
    sim.state.federation.serverWellKnown = { "m.server": "https://matrix.sim.test/" };
    const r = byId((await runSelfCheck(env({ timeoutMs: 500 }))).results);
    expect(r["server-discovery"].status).toBe("fail");
    expect(r["server-discovery"].summary).toContain(`delegates to "https://matrix.sim.test/", which is not host[:port]`);
    expect(r["server-discovery"].summary).toContain("port 8448 on sim.test");
    expect(r["federation-api"].status).toBe("fail");
  });

  it("gives each broken signing key its own message", async () => {
    const summaries: Record<string, string> = {};
    for (const mode of ["missing", "expired", "bad_signature"] as const) {
      sim.state.federation.serverKeyMode = mode;
      const r = byId((await runSelfCheck(env())).results);
      expect(r["server-keys"].status, mode).toBe("fail");
      expect(r["server-keys"].fix, mode).toBeTruthy();
      summaries[mode] = r["server-keys"].summary;
    }
    expect(summaries.missing).toContain("not served");
    expect(summaries.expired).toContain("expired on");
    expect(summaries.expired).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
    expect(summaries.bad_signature).toMatch(/signature by ed25519:\S+ does not verify/);
  });

  it("reports an unreachable federation address and a timeout as results", async () => {
    sim.state.federation.serverWellKnown = { "m.server": `127.0.0.1:${await closedPort()}` };
    const refused = byId((await runSelfCheck(env())).results);
    expect(refused["federation-api"].status).toBe("fail");
    expect(refused["federation-api"].summary).toContain("cannot be reached (ECONNREFUSED)");
    expect(refused["server-keys"].status).toBe("fail");

    sim.state.federation.serverWellKnown = { "m.server": `127.0.0.1:${port}` };
    sim.injectFault({ kind: "timeout", path: "/_matrix/federation/v1/version" });
    const slow = byId((await runSelfCheck(env({ timeoutMs: 300 }))).results);
    expect(slow["federation-api"].status).toBe("fail");
    expect(slow["federation-api"].summary).toContain("did not answer within");
    expect(slow["server-keys"].status).toBe("pass");
  });

  it("writes each failure as one sentence: an error quoted inside a summary brings no full stop of its own", async () => {
    const closed = await closedPort();
    const summaries: CheckResult[] = [];
    // Well-known files unreachable (connection refused): client discovery fails, server discovery notes why.
    const noWellKnown = await runSelfCheck(env({ timeoutMs: 500, wellKnownOrigin: `http://127.0.0.1:${closed}` }));
    expect(byId(noWellKnown.results)["client-wellknown"].status).toBe("fail");
    expect(byId(noWellKnown.results)["server-discovery"].summary).toContain("could not be fetched: ");
    summaries.push(...noWellKnown.results);
    // The federation API answers 500.
    sim.injectFault({ kind: "status500", path: "/_matrix/federation/v1/version" });
    const broken = byId((await runSelfCheck(env())).results)["federation-api"];
    expect(broken.status).toBe("fail");
    expect(broken.summary).toMatch(/fails: The homeserver/);
    summaries.push(broken);
    sim.clearFaults();
    // The signing key cannot be fetched (the federation address refuses connections).
    sim.state.federation.serverWellKnown = { "m.server": `127.0.0.1:${closed}` };
    const keys = byId((await runSelfCheck(env())).results)["server-keys"];
    expect(keys.status).toBe("fail");
    expect(keys.summary).toMatch(/[^.]; no server can verify our events\.$/);
    summaries.push(keys);
    for (const x of summaries) expect(x.summary, x.id).not.toMatch(/\.\.|\.;|\.\)/);
  });

  it("follows SRV records when there is no server well-known, and warns about the deprecated one", async () => {
    sim.state.federation.serverWellKnown = null;
    const srv = (prefix: string) => async (name: string): Promise<SrvRecord[]> => {
      if (name === `${prefix}.sim.test`) return [{ name: "127.0.0.1", port, priority: 10, weight: 5 }];
      throw Object.assign(new Error("ENOTFOUND"), { code: "ENOTFOUND" });
    };
    const fed = byId((await runSelfCheck(env({ resolveSrv: srv("_matrix-fed._tcp") }))).results);
    expect(fed["server-discovery"]).toMatchObject({ status: "pass" });
    expect(fed["server-discovery"].summary).toContain(`SRV _matrix-fed._tcp.sim.test → 127.0.0.1:${port}`);
    expect(fed["federation-api"].status).toBe("pass");
    const legacy = byId((await runSelfCheck(env({ resolveSrv: srv("_matrix._tcp") }))).results);
    expect(legacy["server-discovery"].status).toBe("warn");
    expect(legacy["server-discovery"].summary).toContain("deprecated");
    const dnsDown = byId(
      (await runSelfCheck(env({ timeoutMs: 300, resolveSrv: async () => { throw Object.assign(new Error("timeout"), { code: "ETIMEOUT" }); } }))).results,
    );
    expect(dnsDown["server-discovery"].status).toBe("warn");
    expect(dnsDown["server-discovery"].summary).toContain("DNS lookup for SRV records failed");
  });

  it("stores runs as history and exposes the current problems", async () => {
    const db: TestDatabase = await createTestDb();
    try {
      await saveSelfCheck(db.db, await runSelfCheck(env()), "manual");
      sim.state.federation.serverKeyMode = "expired";
      await saveSelfCheck(db.db, await runSelfCheck(env({ now: () => sim.clock.now() + 1000 })), "collector");
      const history = await selfCheckHistory(db.db);
      expect(history.map((h) => h.status)).toEqual(["fail", "pass"]);
      const problems = await currentSelfCheckProblems(db.db);
      expect(problems!.problems.map((p) => p.id)).toEqual(["server-keys"]);
    } finally {
      await db.close();
    }
  });

  it("takes the documented overrides from the configuration (loadConfig reads STEWARD_SELF_CHECK_*)", () => {
    const config = (env: Record<string, string>) => loadConfig({ NODE_ENV: "test", HOMESERVER_URL: "http://127.0.0.1:1", SESSION_SECRET: "x".repeat(40), ...env });
    const redirected = config({ STEWARD_SELF_CHECK_ORIGIN: "http://127.0.0.1:8008/x", STEWARD_SELF_CHECK_FEDERATION_SCHEME: "http" });
    expect(defaultSelfCheckEnv("example.org", redirected.selfCheck)).toMatchObject({ serverName: "example.org", wellKnownOrigin: "http://127.0.0.1:8008", federationScheme: "http" });
    const real = defaultSelfCheckEnv("example.org", config({}).selfCheck);
    expect([real.wellKnownOrigin, real.federationScheme]).toEqual([undefined, "https"]);
  });
});

describe("self-check: how admins sign in (issue 16)", () => {
  it("says the homeserver delegates to MAS, and where", async () => {
    const delegating = await startSimulator({ users: 1, mas: true, synapseVersion: "1.157.1" });
    const mas = await startMasSimulator({ synapse: delegating });
    try {
      const report = await runSelfCheck(env({ homeserverUrl: delegating.url, wellKnownOrigin: delegating.url }));
      const r = byId(report.results);
      expect(r["sign-in"]).toMatchObject({ status: "pass", summary: `This homeserver delegates sign-in to the Matrix Authentication Service at ${mas.issuer} (as the homeserver says).` });
    } finally {
      await mas.close();
      await delegating.close();
    }
  });

  it("warns when HOMESERVER_AUTH=mas but the homeserver does not delegate", async () => {
    const r = byId((await runSelfCheck(env({ authSetting: "mas" }))).results);
    expect(r["sign-in"].status).toBe("warn");
    expect(r["sign-in"].summary).toContain("HOMESERVER_AUTH=mas, but the homeserver does not delegate sign-in");
  });
});

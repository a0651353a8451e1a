/**
 * Issue 16, item 2: Steward tells which way admins sign in — classic Synapse, or the Matrix Authentication Service
 * the homeserver delegates to (auth_metadata, on Synapse 1.132's unstable endpoint and 1.157's stable one) — and
 * HOMESERVER_AUTH overrides the detection. The sign-in page says it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startSimulator } from "../simulator/index";
import { startMasSimulator } from "../simulator/mas/index";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { createHomeserverClient } from "../../app/homeserver";
import { detectAuthMode, forgetAuthModes } from "../../app/services/auth/mode.server";

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  forgetAuthModes();
  while (open.length) await open.pop()!.close();
});

async function delegating(version: string) {
  const sim = await startSimulator({ users: 2, mas: true, synapseVersion: version });
  open.push(sim);
  const mas = await startMasSimulator({ synapse: sim });
  open.push(mas);
  return { sim, mas };
}

describe("auth mode detection", () => {
  it.each(["1.132.0", "1.157.1"])("finds MAS behind Synapse %s, with its endpoints and admin API base", async (version) => {
    const { sim, mas } = await delegating(version);
    const m = await detectAuthMode(createHomeserverClient({ baseUrl: sim.url }), "auto", { cacheKey: sim.url });
    expect(m).toMatchObject({ mode: "mas", decidedBy: "detected", problem: null });
    expect(m.mas).toMatchObject({
      issuer: mas.issuer,
      source: version === "1.132.0" ? "unstable" : "v1",
      tokenEndpoint: `${mas.url}/oauth2/token`,
      registrationEndpoint: `${mas.url}/oauth2/registration`,
      revocationEndpoint: `${mas.url}/oauth2/revoke`,
      adminApiBase: mas.url,
    });
  });

  it("finds classic Synapse, and honours HOMESERVER_AUTH both ways", async () => {
    const classic = await startSimulator({ users: 1 });
    open.push(classic);
    const hs = createHomeserverClient({ baseUrl: classic.url });
    expect(await detectAuthMode(hs, "auto", { cacheKey: classic.url })).toMatchObject({ mode: "synapse", decidedBy: "detected", problem: null });
    const forced = await detectAuthMode(hs, "mas", { cacheKey: classic.url });
    expect(forced).toMatchObject({ mode: "mas", decidedBy: "configured" });
    expect(forced.problem).toContain("does not delegate");
    const { sim } = await delegating("1.157.1");
    expect(await detectAuthMode(createHomeserverClient({ baseUrl: sim.url }), "synapse", { cacheKey: sim.url })).toMatchObject({ mode: "synapse", decidedBy: "configured", mas: null });
  });

  it("a homeserver that fails to answer is reported, not taken for an answer (and not remembered)", async () => {
    const { sim } = await delegating("1.157.1");
    sim.injectFault({ kind: "status500", path: "/_matrix/client/v1/auth_metadata", times: 2 });
    const hs = createHomeserverClient({ baseUrl: sim.url, maxRetries: 0 });
    const m = await detectAuthMode(hs, "auto", { cacheKey: sim.url });
    expect(m.mode).toBe("synapse");
    expect(m.problem).toContain("could not ask the homeserver");
    expect((await detectAuthMode(hs, "auto", { cacheKey: sim.url })).mode).toBe("mas");
  });
});

describe("the sign-in page says which mode is in use", { timeout: 120_000 }, () => {
  let steward: TestSteward | null = null;
  afterEach(async () => {
    await steward?.close();
    steward = null;
  });

  it("under MAS", async () => {
    const { sim, mas } = await delegating("1.157.1");
    steward = await startTestSteward({ homeserverUrl: sim.url });
    const html = await (await fetch(`${steward.url}/login`)).text();
    expect(html).toContain(`This homeserver delegates sign-in to the Matrix Authentication Service at ${mas.issuer}`);
    expect(html).toContain('data-mode="mas"');
  });

  it("on classic Synapse", async () => {
    const classic = await startSimulator({ users: 1 });
    open.push(classic);
    steward = await startTestSteward({ homeserverUrl: classic.url });
    const html = await (await fetch(`${steward.url}/login`)).text();
    expect(html).toContain("Admins sign in with their Synapse account (classic sign-in, as the homeserver says).");
  });
});

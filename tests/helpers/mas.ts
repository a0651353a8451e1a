/**
 * A delegated world for Steward's MAS tests: the Synapse simulator in delegated mode, the MAS simulator beside it,
 * and Steward on a free port whose PUBLIC_BASE_URL is its real address (MAS redirects the browser back there).
 * MAS's `allow_insecure_uris` is on, as a development MAS must have it for an http Steward (README, "Running with MAS").
 */
import net from "node:net";
import { startSimulator, type Simulator } from "../simulator/index";
import { startMasSimulator, type MasSimulator } from "../simulator/mas/index";
import { startTestSteward, type TestSteward } from "./steward";
import { TestClient } from "./http";
import { hiddenFields, MiniBrowser } from "./mas-browser";

export interface MasWorld {
  sim: Simulator;
  mas: MasSimulator;
  steward: TestSteward;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export async function startMasWorld(opts: { synapseVersion?: string; users?: number; env?: Record<string, string>; insecureUris?: boolean } = {}): Promise<MasWorld> {
  const sim = await startSimulator({ users: opts.users ?? 12, seed: 5, mas: true, synapseVersion: opts.synapseVersion ?? "1.157.1" });
  const mas = await startMasSimulator({ synapse: sim });
  mas.state.policyData.client_registration.allow_insecure_uris = opts.insecureUris ?? true;
  const port = await freePort();
  const steward = await startTestSteward({ homeserverUrl: sim.url, env: { PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, ...opts.env } });
  return {
    sim,
    mas,
    steward,
    async close() {
      await steward.close();
      await mas.close();
      await sim.close();
    },
  };
}

export interface MasSignInTrip {
  /** Steward's answer to the callback. */
  res: Response;
  /** The callback URL MAS sent the browser to (carries code and state). */
  callbackUrl: string | null;
  /** MAS's page when it did not send the browser back (policy refusal). */
  masPage: string | null;
}

/** Starts at Steward, signs in and consents at MAS, and returns to Steward's callback. */
/** `w` needs only MAS's address: a test world, or the demo's MAS running in another process. */
export async function masSignIn(client: TestClient, w: { mas: { url: string } }, username: string, password: string, opts: { stopBeforeCallback?: boolean } = {}): Promise<MasSignInTrip> {
  const start = await client.postForm("/auth/mas", { next: "/" });
  if (start.status !== 302) return { res: start, callbackUrl: null, masPage: null };
  const browser = new MiniBrowser();
  const login = await browser.follow(start.headers.get("location")!, w.mas.url);
  const afterLogin = await browser.post(`${w.mas.url}/login`, { ...hiddenFields(await login.res.text()), username, password });
  const consent = await browser.follow(new URL(afterLogin.headers.get("location")!, w.mas.url).toString(), w.mas.url);
  const html = await consent.res.text();
  if (!html.includes('value="consent"')) return { res: consent.res, callbackUrl: null, masPage: html };
  const done = await browser.post(consent.url, { ...hiddenFields(html), action: "consent" });
  const callbackUrl = done.headers.get("location")!;
  if (opts.stopBeforeCallback) return { res: done, callbackUrl, masPage: null };
  const u = new URL(callbackUrl);
  const res = await client.get(`${u.pathname}${u.search}`);
  return { res, callbackUrl, masPage: null };
}

/** A MAS world with the admin signed in to Steward through MAS: the starting point of most MAS tests. */
export async function startSignedInMasWorld(opts: Parameters<typeof startMasWorld>[0] = {}): Promise<{ w: MasWorld; c: TestClient }> {
  const w = await startMasWorld(opts);
  const c = new TestClient(w.steward.url);
  const trip = await masSignIn(c, w, "admin", "admin");
  if (trip.res.status !== 302) {
    await w.close();
    throw new Error(`signing in through MAS answered ${trip.res.status}, not 302`);
  }
  return { w, c };
}


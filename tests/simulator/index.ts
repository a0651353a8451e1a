// Entry point: `startSimulator(opts)` seeds the state, starts the HTTP server and returns the handle
// tests drive (state, clock, tokens, faults, latency, rate limits, request log).
import type { AddressInfo } from "node:net";
import { createSimServer } from "./server";
import { Ratelimiters } from "./ratelimit";
import type { Delegation, SimContext } from "./router";
import { seedState } from "./seed";
import { clearIntrospectionCache } from "./delegated-auth";
import { seedFederation } from "./seed-federation";
import { seedPosture } from "./seed-posture";
import { seedRegistrationTokens } from "./state-tokens";
import { addDevice, createState, issueToken, toUserId, type SimState } from "./state";
import {
  createClock,
  type Fault,
  type RequestLogEntry,
  type ResolvedOptions,
  type SimClock,
  type SimulatorOptions,
} from "./types";

export type { SimulatorOptions, SimClock, Fault, FaultKind, RequestLogEntry } from "./types";
export type {
  SimState,
  SimUser,
  SimDevice,
  SimAccessToken,
  SimConnection,
  SimAccountData,
  Threepid,
  ExternalId,
} from "./state";
export { addUser, addDevice, issueToken, mxid } from "./state";
export { ADMIN_PASSWORD, passwordFor, HOSTILE_DISPLAYNAMES } from "./seed";

/** The admin token's device, so whoami and the device list show a realistic session. */
export const ADMIN_DEVICE_ID = "STEWARDSIM";

export interface Simulator {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
  serverName: string;
  /** The in-memory truth. Mutate it to set up cases; read it to compute expectations. */
  state: SimState;
  clock: SimClock;
  options: Readonly<ResolvedOptions>;
  /** A ready access token of `@admin:<serverName>` (password `admin`). */
  adminToken: string;
  /** New device + access token for a user (localpart or full id). Throws for an unknown user. */
  tokenFor(localpartOrUserId: string): string;
  setLatency(ms: number): void;
  setRateLimits(on: boolean): void;
  injectFault(fault: Fault): void;
  clearFaults(): void;
  /** Every request received, in arrival order. */
  requestLog: RequestLogEntry[];
  /** Attach the MAS this homeserver delegates to (mas mode; see tests/simulator/mas/). */
  attachDelegation(delegation: Delegation): void;
  /** Forget cached introspection answers (Synapse keeps them 120 s). */
  clearIntrospectionCache(): void;
  close(): Promise<void>;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const options: ResolvedOptions = {
    port: opts.port ?? 0,
    host: opts.host ?? "127.0.0.1",
    serverName: opts.serverName ?? "sim.test",
    users: opts.users ?? 40,
    seed: opts.seed ?? 1,
    now: opts.now ?? Date.now,
    rateLimits: opts.rateLimits ?? false,
    version: opts.synapseVersion ?? opts.version ?? "1.132.0",
    synapseVersion: opts.synapseVersion ?? opts.version ?? "1.132.0",
    booleansAsInts: opts.booleansAsInts ?? false,
    mas: opts.mas ?? false,
    latencyMs: opts.latencyMs ?? 0,
    enableRegistration: opts.enableRegistration ?? true,
    registrationRequiresToken: opts.registrationRequiresToken ?? true,
  };
  const clock = createClock(options.now);
  const state = createState(options.serverName, options.version);
  const startedAt = clock.now();
  seedState(state, { users: options.users, seed: options.seed, now: startedAt });
  seedFederation(state, { seed: options.seed, now: startedAt });
  // An empty world (users: 0, e.g. the contract test's recorded world) gets no tokens either.
  if (options.users > 0) seedRegistrationTokens(state, startedAt);
  seedPosture(state, { seed: options.seed });

  const ratelimiters = new Ratelimiters();
  const ctx: SimContext = { state, clock, options, ratelimiters, url: "", delegation: null };
  const srv = createSimServer(ctx);
  await new Promise<void>((resolve, reject) => {
    srv.server.once("error", reject);
    srv.server.listen(options.port, options.host, () => resolve());
  });
  const { port } = srv.server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  ctx.url = `http://${host}:${port}`;

  const adminId = toUserId(state, "admin");
  addDevice(state, adminId, { device_id: ADMIN_DEVICE_ID, display_name: "Steward simulator" });
  const adminToken = issueToken(state, adminId, ADMIN_DEVICE_ID);
  // Under delegation this token plays MSC3861's static `admin_token` (Synapse < 1.157 only, synapse-versions.md §0).
  if (options.mas) state.staticAdminToken = adminToken;

  let closed: Promise<void> | null = null;
  return {
    url: ctx.url,
    serverName: options.serverName,
    state,
    clock,
    options,
    adminToken,
    tokenFor(localpartOrUserId) {
      const userId = toUserId(state, localpartOrUserId);
      if (!state.users.has(userId)) throw new Error(`simulator: no such user ${userId}`);
      const device = addDevice(state, userId, { display_name: "simulator test session" });
      return issueToken(state, userId, device.device_id);
    },
    setLatency(ms) {
      options.latencyMs = Math.max(0, ms);
    },
    setRateLimits(on) {
      options.rateLimits = on;
      ratelimiters.clear();
    },
    injectFault(fault) {
      srv.faults.push({ ...fault, remaining: fault.times ?? Number.POSITIVE_INFINITY });
    },
    clearFaults() {
      srv.faults.length = 0;
    },
    requestLog: srv.requestLog,
    clearIntrospectionCache: () => clearIntrospectionCache(ctx),
    attachDelegation(delegation) {
      if (!options.mas) throw new Error("simulator: attaching MAS needs mas: true");
      ctx.delegation = delegation;
    },
    close: () => (closed ??= srv.close()),
  };
}

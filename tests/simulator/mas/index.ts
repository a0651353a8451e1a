// A Matrix Authentication Service (MAS v1.22.0) look-alike beside the Synapse simulator in delegated mode
// (mas-api.md). `startMasSimulator({ synapse })` seeds MAS's users from the Synapse simulator's accounts (as syn2mas
// would), serves OAuth 2.0 / OIDC, the admin API and password registration with tokens, and attaches itself to the
// Synapse simulator so Synapse introspects tokens with it and serves its discovery document as auth_metadata.
import type { AddressInfo } from "node:net";
import type { Simulator } from "../index";
import { MatrixError } from "../errors";
import { mxid } from "../state";
import type { Fault, RequestLogEntry } from "../types";
import { registerAdmin } from "./admin";
import { createMasServer, MasRouter, type MasContext, type MasHooks } from "./http";
import { discovery, registerOAuth } from "./oauth";
import { registerRegistration } from "./register";
import {
  API_SCOPE_STABLE,
  createMasState,
  MAS_ADMIN_SCOPE,
  newToken,
  SYNAPSE_ADMIN_SCOPE,
  ulid,
  userByUsername,
  type MasState,
} from "./state";
import * as synapseSide from "./synapse";
import { introspection } from "./tokens";

export type { MasState, MasUser, MasRegistrationToken, MasClient, MasOAuthSession, MasCompatSession } from "./state";
export { ulid } from "./state";

/** The scope of the admin's personal access token: both admin APIs and the client API (mas-api.md §1.3c). */
export const ADMIN_PAT_SCOPE = `${API_SCOPE_STABLE} ${MAS_ADMIN_SCOPE} ${SYNAPSE_ADMIN_SCOPE}`;

export interface MasSimulatorOptions {
  /** The Synapse simulator (started with `mas: true`) that delegates to this MAS. */
  synapse: Simulator;
  /** MAS version (default "1.22.0"). */
  version?: string;
  host?: string;
  /** 0 (default) = a random free port; the demo passes the one it used last, so MAS's issuer stays the same. */
  port?: number;
  /** Seed the three example registration tokens (default true). */
  seedTokens?: boolean;
}

export interface MasSimulator {
  url: string;
  /** `issuer` as discovery says it (with the trailing slash). */
  issuer: string;
  state: MasState;
  synapse: Simulator;
  /** A personal access token of `admin` with ADMIN_PAT_SCOPE: what an operator gives as HOMESERVER_ADMIN_TOKEN. */
  adminToken: string;
  /** A new personal access token acting as `username` (owner: the admin). */
  personalToken(username: string, scope?: string, expiresInS?: number | null): string;
  /** A `/login`-style (compat) session with a new Matrix device, and its access token. */
  compatToken(username: string): string;
  /** Synapse caches introspection for 120 s; a test that cannot wait clears it (or advances the clock). */
  clearIntrospectionCache(): void;
  setLatency(ms: number): void;
  injectFault(fault: Fault): void;
  clearFaults(): void;
  requestLog: RequestLogEntry[];
  close(): Promise<void>;
}

export async function startMasSimulator(opts: MasSimulatorOptions): Promise<MasSimulator> {
  const synapse = opts.synapse;
  if (!synapse.options.mas) throw new Error("mas simulator: start the Synapse simulator with mas: true");
  const sstate = synapse.state;
  const state = createMasState(sstate.serverName, opts.version ?? "1.22.0");
  const now = synapse.clock.now();
  seedUsers(state, synapse, now);
  if (opts.seedTokens ?? true) seedTokens(state, now);

  const hooks: MasHooks = {
    provisionUser: (l, d) => synapseSide.provisionUser(sstate, l, synapse.clock.now(), d),
    syncLocked: (l, locked) => synapseSide.syncLocked(sstate, l, locked),
    deleteUser: (l, erase) => synapseSide.deleteUser(sstate, l, erase),
    reactivateUser: (l) => synapseSide.reactivateUser(sstate, l),
    upsertDevice: (l, d) => synapseSide.upsertDevice(sstate, l, d, null),
    removeDevice: (l, d) => synapseSide.removeDevice(sstate, l, d),
    isLocalpartAvailable: (l) => !sstate.users.has(mxid(sstate, l)),
  };
  const ctx: MasContext = { state, clock: synapse.clock, url: "", latencyMs: 0, hooks };
  const router = new MasRouter();
  registerOAuth(router);
  registerAdmin(router);
  registerRegistration(router);
  const srv = createMasServer(ctx, router);
  await new Promise<void>((resolve, reject) => {
    srv.server.once("error", reject);
    srv.server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = srv.server.address() as AddressInfo;
  ctx.url = `http://${opts.host ?? "127.0.0.1"}:${port}`;

  // Synapse asks MAS over HTTP; the simulator calls in-process, but honours faults injected on the introspection path.
  const introspectionFault = () => {
    const i = srv.faults.findIndex((f) => (typeof f.path === "string" ? "/oauth2/introspect".startsWith(f.path) : f.path.test("/oauth2/introspect")));
    if (i < 0) return false;
    if (--srv.faults[i].remaining <= 0) srv.faults.splice(i, 1);
    return true;
  };
  synapse.attachDelegation({
    introspect: (token, at) => {
      // Synapse answers 503 when introspection fails (non-2xx, bad JSON, unreachable).
      if (introspectionFault()) throw new MatrixError(503, "M_UNKNOWN", "Failed to introspect token");
      return introspection(state, token, at) as ReturnType<typeof introspection> & { active: boolean };
    },
    metadata: () => discovery(ctx.url),
  });

  const admin = userByUsername(state, "admin");
  const personalToken = (username: string, scope = ADMIN_PAT_SCOPE, expiresInS: number | null = null) => {
    const actor = userByUsername(state, username);
    if (!actor) throw new Error(`mas simulator: no such user ${username}`);
    const at = synapse.clock.now();
    const id = ulid(at);
    state.personalSessions.set(id, {
      id,
      owner_user_id: admin?.id ?? actor.id,
      owner_client_id: null,
      actor_user_id: actor.id,
      human_name: "Steward",
      scope,
      created_at: at,
      revoked_at: null,
      expires_at: expiresInS === null ? null : at + expiresInS * 1000,
      last_active_at: null,
      last_active_ip: null,
    });
    const token = newToken("mpt");
    state.accessTokens.set(token, { token, session: { kind: "personal", id }, created_at: at, expires_at: state.personalSessions.get(id)!.expires_at, revoked_at: null });
    return token;
  };
  const adminToken = personalToken("admin");

  return {
    url: ctx.url,
    issuer: `${ctx.url}/`,
    state,
    synapse,
    adminToken,
    personalToken,
    compatToken(username) {
      const user = userByUsername(state, username);
      if (!user) throw new Error(`mas simulator: no such user ${username}`);
      const at = synapse.clock.now();
      const id = ulid(at);
      const deviceId = `MAS${id.slice(-7)}`;
      state.compatSessions.set(id, { id, user_id: user.id, device_id: deviceId, user_session_id: null, redirect_uri: null, created_at: at, finished_at: null, user_agent: null, last_active_at: null, last_active_ip: null, human_name: null });
      hooks.upsertDevice(username, deviceId);
      const token = newToken("mct");
      state.accessTokens.set(token, { token, session: { kind: "compat", id }, created_at: at, expires_at: null, revoked_at: null });
      return token;
    },
    clearIntrospectionCache: () => synapse.clearIntrospectionCache(),
    setLatency: (ms) => void (ctx.latencyMs = Math.max(0, ms)),
    injectFault: (fault) => void srv.faults.push({ ...fault, remaining: fault.times ?? Number.POSITIVE_INFINITY }),
    clearFaults: () => void (srv.faults.length = 0),
    requestLog: srv.requestLog,
    close: () => srv.close(),
  };
}

/** syn2mas: one MAS user per Synapse user (`can_request_admin` from Synapse's admin column), a compat session per device. */
function seedUsers(state: MasState, synapse: Simulator, now: number): void {
  const users = [...synapse.state.users.values()].filter((u) => u.appservice_id === null).sort((a, b) => a.creation_ts - b.creation_ts);
  for (const u of users) {
    const id = ulid(u.creation_ts);
    state.users.set(id, {
      id,
      username: u.localpart,
      created_at: u.creation_ts,
      locked_at: u.locked ? u.creation_ts : null,
      deactivated_at: u.deactivated ? u.creation_ts : null,
      admin: u.admin,
      legacy_guest: u.is_guest,
      password: u.password,
      emails: u.threepids.filter((t) => t.medium === "email").map((t) => t.address),
    });
    for (const d of synapse.state.devices.get(u.name)?.values() ?? []) {
      if (d.hidden) continue;
      const sid = ulid(Math.min(now, d.last_seen_ts ?? u.creation_ts));
      state.compatSessions.set(sid, {
        id: sid,
        user_id: id,
        device_id: d.device_id,
        user_session_id: null,
        redirect_uri: null,
        created_at: Math.min(now, d.last_seen_ts ?? u.creation_ts),
        finished_at: u.deactivated ? u.creation_ts : null,
        user_agent: d.last_seen_user_agent,
        last_active_at: d.last_seen_ts,
        last_active_ip: d.last_seen_ip,
        human_name: d.display_name,
      });
    }
  }
}

function seedTokens(state: MasState, now: number): void {
  const day = 86_400_000;
  const rows = [
    { token: "welcome-friends", usage_limit: 5, times_used: 1, created: now - 20 * day, revoked: null, expires: now + 30 * day },
    { token: "book-club", usage_limit: 2, times_used: 2, created: now - 40 * day, revoked: null, expires: null },
    { token: "old-invite", usage_limit: null, times_used: 0, created: now - 90 * day, revoked: now - 60 * day, expires: null },
  ];
  for (const r of rows) {
    const id = ulid(r.created);
    state.registrationTokens.set(id, {
      id,
      token: r.token,
      usage_limit: r.usage_limit,
      times_used: r.times_used,
      created_at: r.created,
      last_used_at: r.times_used > 0 ? r.created + day : null,
      expires_at: r.expires,
      revoked_at: r.revoked,
    });
  }
}

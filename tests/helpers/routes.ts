/**
 * Every route of the Remix build (build/index.js), with its full URL path and whether it has a loader or an
 * action — so the security tests cover a new route without anyone remembering to add it. Also helpers to mint
 * admin sessions straight into the test database (no sign-in round trips: /login is rate-limited) and a
 * fingerprint of the simulator's state to prove that a refused request changed nothing on the homeserver.
 */
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { createSession } from "../../app/services/auth/session.server";
import type { Simulator } from "../simulator/index";
import type { TestSteward } from "./steward";

export interface BuiltRoute {
  id: string;
  /** Full path pattern from the root, e.g. "/tokens/:token"; "/" for the index. */
  path: string;
  index: boolean;
  params: string[];
  hasLoader: boolean;
  hasAction: boolean;
  /** Has a UI (a document route) rather than being a resource route (CSV, JSON, probes). */
  hasComponent: boolean;
}

export async function builtRoutes(): Promise<BuiltRoute[]> {
  const buildPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../build/index.js");
  const build = (await import(pathToFileURL(buildPath).href)) as ServerBuild;
  const routes = build.routes;
  const fullPath = (id: string): string => {
    const r = routes[id];
    if (!r) return "";
    const parent = r.parentId ? fullPath(r.parentId) : "";
    return r.path ? `${parent.replace(/\/$/, "")}/${r.path}` : parent;
  };
  const out: BuiltRoute[] = [];
  for (const [id, r] of Object.entries(routes)) {
    if (id === "root") continue;
    const p = fullPath(id) || "/";
    const hasChildren = Object.values(routes).some((c) => c?.parentId === id);
    // A pathless layout (routes/_app) only ever runs under one of its children, which are enumerated themselves.
    if (hasChildren && !r!.path) continue;
    out.push({
      id,
      path: p,
      index: Boolean(r!.index),
      params: [...p.matchAll(/:(\w+)/g)].map((m) => m[1]),
      hasLoader: Boolean(r!.module.loader),
      hasAction: Boolean(r!.module.action),
      hasComponent: Boolean(r!.module.default),
    });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/** The concrete URL for a route, dynamic segments filled from `values` (encoded), `?index` for index actions. */
export function urlFor(route: BuiltRoute, values: Record<string, string>, forAction = false): string {
  const filled = route.path.replace(/:(\w+)/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`no value for :${name} of ${route.id}; add one to the test's PARAMS`);
    return encodeURIComponent(v);
  });
  return forAction && route.index ? `${filled}?index` : filled;
}

/**
 * A new admin session for `localpart` (a fresh homeserver token from the simulator), as the sign-in would create
 * it. `tokenProvided` so that a lost-admin refusal does not log the token out on the homeserver.
 */
export async function mintSession(steward: TestSteward, sim: Simulator, localpart: string) {
  const accessToken = sim.tokenFor(localpart);
  const settings = { secret: steward.config.sessionSecret, idleMinutes: steward.config.sessionIdleMinutes, maxHours: steward.config.sessionMaxHours };
  const s = await createSession(steward.database.db, settings, {
    userId: `@${localpart}:${sim.serverName}`,
    homeserverUrl: sim.url,
    accessToken,
    tokenProvided: true,
    serverVersion: null,
  });
  return { cookie: s.cookieValue, csrf: s.csrfToken, accessToken };
}

/**
 * A stable serialisation of what a mutation could change on the homeserver: users, devices, tokens, account data,
 * federation, posture (notices, backups), registration tokens. Left out: connection and last-seen records (every
 * authenticated request touches them) and live UIA sessions.
 */
const LAST_SEEN = new Set(["last_seen_ts", "last_seen_ip", "last_seen_user_agent"]);

export function simFingerprint(sim: Simulator): string {
  const { connections: _c, uiaSessions: _u, ...rest } = sim.state;
  return JSON.stringify(rest, (k, v: unknown) => {
    if (LAST_SEEN.has(k)) return undefined;
    if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), x]));
    if (v instanceof Set) return [...v];
    return v;
  });
}

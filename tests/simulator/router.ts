// A tiny router. Each API area (routes/*.ts) exports `register(router)` and adds its handlers; the server
// asks the router to match a request. Matching works like Synapse's JsonResource: the path is matched on
// the raw (percent-encoded) segments, captured segments are percent-decoded, a known path with another
// method is 405, and nothing matching is 404 — both before any auth check.
import type { IncomingHttpHeaders } from "node:http";
import type { SimAccessToken, SimState, SimUser } from "./state";
import type { ResolvedOptions, SimClock } from "./types";
import type { Ratelimiters } from "./ratelimit";

/** `none`: no token read at all; `user`: any valid token; `admin`: a valid token of a server admin. */
export type AuthMode = "none" | "user" | "admin";

export interface Requester {
  user: SimUser;
  token: SimAccessToken;
}

/** Shared, per-simulator context handed to every handler. */
export interface SimContext {
  state: SimState;
  clock: SimClock;
  options: ResolvedOptions;
  ratelimiters: Ratelimiters;
  /** Base URL once listening, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The MAS this homeserver delegates to (mas mode with a MAS simulator attached), else null. */
  delegation: Delegation | null;
}

/** What Synapse asks MAS (synapse-versions.md §2.5): introspection of a token, and the discovery document. */
export interface Delegation {
  introspect(token: string, now: number): IntrospectionResult;
  metadata(): Record<string, unknown>;
}

export interface IntrospectionResult {
  active: boolean;
  scope?: string;
  username?: string;
  sub?: string;
  device_id?: string | null;
  expires_in?: number;
}

export interface RouteContext {
  sim: SimContext;
  state: SimState;
  now: number;
  method: string;
  /** Raw pathname (still percent-encoded). */
  path: string;
  /** Captured `:name` segments, percent-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  ip: string;
  /** Set when the route's auth mode is not `none`. */
  requester: Requester | null;
  rawBody: Buffer;
  /** Parses the body as a JSON object: 400 M_NOT_JSON / M_BAD_JSON like parse_json_object_from_request. */
  json(): Record<string, unknown>;
}

/** Return this from a handler for anything but a 200 JSON answer. */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
    /** Set to send `body` (a string) verbatim with this content type instead of JSON. */
    readonly contentType?: string,
  ) {}
}

export type Handler = (ctx: RouteContext) => unknown | Promise<unknown>;

export interface RouteDef {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** `/_synapse/admin/v2/users/:userId`; an array registers the same handler on several paths (r0/v3…). */
  path: string | string[];
  auth: AuthMode;
  /** Not mounted when the simulator emulates MAS / OAuth delegation (reference §0): plain 404 then. */
  unmountedUnderMas?: boolean;
  /** Mounted only when the simulator emulates delegation (auth_metadata, auth_issuer). */
  onlyUnderMas?: boolean;
  /** Locked users may still call this (Synapse's allow_locked, e.g. logout). */
  allowLocked?: boolean;
  handler: Handler;
}

interface CompiledRoute {
  def: RouteDef;
  segments: string[];
}

export type Match =
  | { kind: "ok"; route: RouteDef; params: Record<string, string> }
  | { kind: "not_found" }
  | { kind: "method_not_allowed" };

export class Router {
  private readonly routes: CompiledRoute[] = [];

  constructor(private readonly options: { mas: boolean }) {}

  add(def: RouteDef): void {
    if (def.unmountedUnderMas && this.options.mas) return;
    if (def.onlyUnderMas && !this.options.mas) return;
    for (const p of Array.isArray(def.path) ? def.path : [def.path]) {
      this.routes.push({ def, segments: p.split("/") });
    }
  }

  match(method: string, rawPath: string): Match {
    const parts = rawPath.split("/");
    let pathKnown = false;
    for (const r of this.routes) {
      const params = matchSegments(r.segments, parts);
      if (!params) continue;
      pathKnown = true;
      if (r.def.method === method) return { kind: "ok", route: r.def, params };
    }
    return pathKnown ? { kind: "method_not_allowed" } : { kind: "not_found" };
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p.startsWith(":")) {
      try {
        params[p.slice(1)] = decodeURIComponent(parts[i]);
      } catch {
        return null; // malformed percent-encoding: Synapse would not match either
      }
    } else if (p !== parts[i]) return null;
  }
  return params;
}

// Authentication when Synapse delegates to MAS (synapse-versions.md §2.5a/§2.5b, mas-api.md §6): every token is
// introspected by MAS (answers cached 120 s, inactive ones too), admin is the `urn:synapse:admin:*` scope and
// nothing else, Synapse never checks its own `locked` column (MAS enforces locking), and a device named by the
// token must exist from 1.157. MSC3861's static `admin_token` (Synapse < 1.157) is admin without introspection.
// Tokens in the simulator's own table keep working as MAS compatibility sessions (`/login` tokens): never admin.
import { errors, MatrixError } from "./errors";
import type { IntrospectionResult, Requester, RouteContext, RouteDef, SimContext } from "./router";
import { recordConnection, toUserId, type SimAccessToken } from "./state";
import { versionAtLeast } from "./routes/users";

const CACHE_MS = 120_000;
const cacheOf = new WeakMap<SimContext, Map<string, { at: number; result: IntrospectionResult }>>();

const STABLE_API = "urn:matrix:client:api:*";
const UNSTABLE_API = "urn:matrix:org.matrix.msc2967.client:api:*";
const ADMIN = "urn:synapse:admin:*";
const DEVICE_PREFIXES = ["urn:matrix:client:device:", "urn:matrix:org.matrix.msc2967.client:device:"];

export function authenticateDelegated(sim: SimContext, route: RouteDef, ctx: RouteContext, tokenString: string): Requester {
  const state = sim.state;
  const legacy = state.tokens.get(tokenString);
  if (legacy) {
    const user = state.users.get(legacy.user_id);
    if (!user || user.deactivated) throw errors.unknownToken(false);
    if (legacy.valid_until_ms !== null && legacy.valid_until_ms <= ctx.now) throw errors.unknownToken(true);
    recordConnection(state, legacy, ctx.ip, String(ctx.headers["user-agent"] ?? ""), ctx.now);
    const isStaticAdmin = tokenString === state.staticAdminToken && !versionAtLeast(state.version, 1, 157);
    if (route.auth === "admin" && !isStaticAdmin) throw errors.notAdmin();
    return { user, token: legacy };
  }
  if (!sim.delegation) throw errors.unknownToken(false);
  const result = introspect(sim, tokenString, ctx.now);
  if (result.active !== true) throw errors.unknownToken(false);
  const scopes = (result.scope ?? "").split(" ").filter(Boolean);
  // 1.132 recognises only the unstable API scope; from 1.138 either (MAS adds the counterpart anyway).
  const hasApi = scopes.includes(UNSTABLE_API) || (versionAtLeast(state.version, 1, 138) && scopes.includes(STABLE_API));
  if (!hasApi) throw new MatrixError(401, "M_UNKNOWN_TOKEN", "Token doesn't grant access to the Matrix C-S API");
  if (!result.username) throw errors.internal();
  const userId = toUserId(state, result.username);
  const user = state.users.get(userId);
  if (!user) throw new MatrixError(500, "M_UNKNOWN", "User not found");
  const deviceScopes = scopes.filter((s) => DEVICE_PREFIXES.some((p) => s.startsWith(p)));
  const deviceIds = new Set([...(result.device_id ? [result.device_id] : []), ...deviceScopes.map((s) => s.slice(s.lastIndexOf(":") + 1))]);
  if (deviceIds.size > 1) throw errors.internal();
  const deviceId = [...deviceIds][0] ?? null;
  if (deviceId !== null && versionAtLeast(state.version, 1, 157) && !state.devices.get(userId)?.has(deviceId)) {
    cacheOf.get(sim)?.delete(tokenString);
    throw new MatrixError(401, "M_UNKNOWN_TOKEN", "Token is not active");
  }
  const token: SimAccessToken = { token: tokenString, user_id: userId, device_id: deviceId, valid_until_ms: null };
  recordConnection(state, token, ctx.ip, String(ctx.headers["user-agent"] ?? ""), ctx.now);
  if (route.auth === "admin" && !scopes.includes(ADMIN)) throw errors.notAdmin();
  return { user, token };
}

function introspect(sim: SimContext, token: string, now: number): IntrospectionResult {
  let cache = cacheOf.get(sim);
  if (!cache) cacheOf.set(sim, (cache = new Map()));
  const hit = cache.get(token);
  if (hit && now - hit.at < CACHE_MS) return hit.result;
  const result = sim.delegation!.introspect(token, now);
  cache.set(token, { at: now, result });
  return result;
}

/** Drops cached introspection answers (a test that must not wait the 120 s). */
export function clearIntrospectionCache(sim: SimContext): void {
  cacheOf.get(sim)?.clear();
}

// Public registration with a token (reference §6, registration.json): token validity (v1, or the MSC3231
// path before 1.53), register/available, and /register's user-interactive auth with the token stage named
// as the simulated release names it, then m.login.dummy. Switches: enable_registration,
// registration_requires_token; rc_registration and the validity limit when rate limits are on.
import { errors, MatrixError } from "../errors";
import type { RateConfig } from "../ratelimit";
import { Reply, type RouteContext, type Router } from "../router";
import { requireString } from "../params";
import { addDevice, addUser, checkUsername, issueToken, mxid, randomDeviceId } from "../state";
import {
  expireUiaSessions,
  newUiaSession,
  tokenStageName,
  usableForRegistration,
  versionAtLeast,
  type SimUiaSession,
} from "../state-tokens";

/** Synapse defaults (reference §6). */
export const RC_REGISTRATION: RateConfig = { perSecond: 0.17, burstCount: 3 };
export const RC_TOKEN_VALIDITY: RateConfig = { perSecond: 0.1, burstCount: 5 };
/** register/available: about one request per 2 s per IP. */
export const RC_AVAILABLE: RateConfig = { perSecond: 0.5, burstCount: 1 };

const V1_VALIDITY = "/_matrix/client/v1/register/m.login.registration_token/validity";
const UNSTABLE_VALIDITY =
  "/_matrix/client/unstable/org.matrix.msc3231/register/org.matrix.msc3231.login.registration_token/validity";
const client = (p: string) => [`/_matrix/client/v3${p}`, `/_matrix/client/r0${p}`];

function limit(ctx: RouteContext, name: string, config: RateConfig, update = true): void {
  if (ctx.sim.options.rateLimits) ctx.sim.ratelimiters.get(name, config).ratelimit(ctx.ip, ctx.now, update);
}

function flows(ctx: RouteContext): Array<{ stages: string[] }> {
  return ctx.sim.options.registrationRequiresToken
    ? [{ stages: [tokenStageName(ctx.state), "m.login.dummy"] }]
    : [{ stages: ["m.login.dummy"] }];
}

export function register(router: Router): void {
  router.add({
    method: "GET",
    path: [V1_VALIDITY, UNSTABLE_VALIDITY],
    auth: "none",
    handler: (ctx) => {
      // The v1 path exists since 1.53; before that only the unstable MSC3231 one (reference §6).
      const stable = versionAtLeast(ctx.state.version, "1.53.0");
      if ((ctx.path === V1_VALIDITY) !== stable) throw errors.unrecognized();
      limit(ctx, "rc_registration_token_validity", RC_TOKEN_VALIDITY);
      if (!ctx.sim.options.enableRegistration) throw errors.forbidden("User registration has been disabled");
      const token = requireString(ctx.query, "token");
      expireUiaSessions(ctx.state, ctx.now);
      return { valid: usableForRegistration(ctx.state, token, ctx.now) };
    },
  });

  router.add({
    method: "GET",
    path: client("/register/available"),
    auth: "none",
    unmountedUnderMas: true,
    handler: (ctx) => {
      if (!ctx.sim.options.enableRegistration) throw errors.forbidden("Registration has been disabled");
      limit(ctx, "register_available", RC_AVAILABLE);
      checkUsername(ctx.state, requireString(ctx.query, "username"));
      return { available: true };
    },
  });

  router.add({ method: "POST", path: client("/register"), auth: "none", unmountedUnderMas: true, handler: registerUser });
}

function registerUser(ctx: RouteContext): unknown {
  const body = ctx.json();
  limit(ctx, "rc_registration", RC_REGISTRATION, false);
  const kind = ctx.query.get("kind") ?? "user";
  if (kind !== "user") throw errors.unrecognized();
  if (!ctx.sim.options.enableRegistration) throw errors.forbidden("Registration has been disabled");
  const password = body.password;
  if (password !== undefined && (typeof password !== "string" || password.length > 512)) {
    throw errors.unknown("Invalid password");
  }
  let username = body.username as unknown;
  if (username !== undefined) {
    if (typeof username !== "string" || username.length > 512) throw errors.unknown("Invalid username");
    // Synapse lowercases the desired username of a regular registration.
    username = username.toLowerCase();
  }
  const auth = (body.auth ?? null) as Record<string, unknown> | null;
  let session: SimUiaSession | undefined;
  expireUiaSessions(ctx.state, ctx.now);
  if (auth && typeof auth.session === "string") {
    session = ctx.state.uiaSessions.get(auth.session);
    if (!session) throw errors.unknown(`Unknown session ID: ${auth.session}`);
  }
  if (typeof username === "string" && !session?.registered_user_id) checkUsername(ctx.state, username);

  // ---- user-interactive auth (check_ui_auth)
  const allFlows = flows(ctx);
  session ??= newUiaSession(ctx.state, ctx.now);
  const uia = (extra: Record<string, unknown> = {}) =>
    new Reply(401, { session: session!.session_id, flows: allFlows, params: {}, ...extra });
  if (!auth || Object.keys(auth).length === 0) return uia();
  let stageError: MatrixError | null = null;
  if (typeof auth.type === "string") {
    try {
      if (checkStage(ctx, auth, session)) {
        if (!session.completed.includes(auth.type)) session.completed.push(auth.type);
      }
    } catch (e) {
      if (!(e instanceof MatrixError)) throw e;
      stageError = e;
    }
  }
  const done = allFlows.some((f) => f.stages.every((s) => session!.completed.includes(s)));
  if (!done) return uia({ completed: [...session.completed], ...(stageError ? stageError.toJSON() : {}) });

  // ---- all stages passed: create the account (or return the one this session already made)
  let userId = session.registered_user_id;
  if (!userId) {
    // Re-checked: someone may have taken the name while this session went through its stages.
    if (typeof username === "string") checkUsername(ctx.state, username);
    const localpart = typeof username === "string" ? username : generatedLocalpart(ctx);
    limit(ctx, "rc_registration", RC_REGISTRATION, true);
    userId = addUser(ctx.state, { localpart, password: typeof password === "string" ? password : null }, ctx.now).name;
    session.registered_user_id = userId;
    if (session.registration_token && !session.token_used) {
      const t = ctx.state.registrationTokens.get(session.registration_token);
      if (t) {
        t.pending = Math.max(0, t.pending - 1);
        t.completed += 1;
      }
      session.token_used = true;
    }
  }
  const result: Record<string, unknown> = { user_id: userId, home_server: ctx.state.serverName };
  if (body.inhibit_login !== true) {
    const deviceId = typeof body.device_id === "string" ? body.device_id : randomDeviceId();
    addDevice(ctx.state, userId, {
      device_id: deviceId,
      display_name: typeof body.initial_device_display_name === "string" ? body.initial_device_display_name : null,
    });
    result.access_token = issueToken(ctx.state, userId, deviceId);
    result.device_id = deviceId;
  }
  return result;
}

/** One UIA stage; true when it passed. Errors are Synapse's LoginErrors (merged into the 401 body). */
function checkStage(ctx: RouteContext, auth: Record<string, unknown>, session: SimUiaSession): boolean {
  const type = auth.type as string;
  const offered = flows(ctx).some((f) => f.stages.includes(type));
  if (!offered) throw new MatrixError(400, "M_UNRECOGNIZED", `Unrecognised login type: ${type}`);
  if (type === "m.login.dummy") return true;
  // The token stage, under whichever name this release uses.
  if (!ctx.sim.options.registrationRequiresToken) {
    throw new MatrixError(400, "M_BAD_JSON", "Registration token is not required");
  }
  const token = auth.token;
  if (token === undefined || token === null) throw new MatrixError(400, "M_MISSING_PARAM", "Missing registration token");
  if (typeof token !== "string") throw new MatrixError(400, "M_INVALID_PARAM", "Registration token must be a string");
  if (auth.session === undefined) throw new MatrixError(400, "M_MISSING_PARAM", "Missing UIA session");
  if (session.registration_token) {
    // Already passed: pending is not incremented twice, but the token may not change.
    if (token !== session.registration_token) {
      throw new MatrixError(400, "M_INVALID_PARAM", "Registration token has changed");
    }
    return true;
  }
  if (!usableForRegistration(ctx.state, token, ctx.now)) {
    throw new MatrixError(401, "M_UNAUTHORIZED", "Invalid registration token");
  }
  ctx.state.registrationTokens.get(token)!.pending += 1;
  session.registration_token = token;
  return true;
}

/** Synapse generates a numeric localpart when no username is given. */
function generatedLocalpart(ctx: RouteContext): string {
  let n = 1;
  while (ctx.state.users.has(mxid(ctx.state, String(n)))) n++;
  return String(n);
}

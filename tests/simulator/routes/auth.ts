// Client auth: /login (flows + password login), /account/whoami, /logout, /logout/all (reference §5,
// auth.json). Login follows Synapse's LoginRestServlet order: per-IP limit, identifier parsing, the
// failed-attempts limit (checked, updated only on failure), the password, the lock, the per-account limit.
import { errors, MatrixError } from "../errors";
import { RC_LOGIN } from "../ratelimit";
import type { RouteContext, Router } from "../router";
import {
  addDevice,
  findUserCaseInsensitive,
  issueToken,
  mxid,
  parseUserId,
  randomDeviceId,
  revokeToken,
  deleteDevice,
  listDevices,
} from "../state";
import { versionAtLeast } from "./users";

const client = (p: string) => [`/_matrix/client/v3${p}`, `/_matrix/client/r0${p}`];

export function register(router: Router): void {
  router.add({
    method: "GET",
    path: client("/login"),
    auth: "none",
    unmountedUnderMas: true,
    handler: () => ({ flows: [{ type: "m.login.password" }, { type: "m.login.application_service" }] }),
  });
  router.add({ method: "POST", path: client("/login"), auth: "none", unmountedUnderMas: true, handler: login });
  router.add({
    method: "GET",
    path: client("/account/whoami"),
    // Not allowed while locked: the recorded 1.132 answers a locked user's whoami 401 M_USER_LOCKED (actions.json).
    auth: "user",
    handler: (ctx) => {
      const { user, token } = ctx.requester!;
      return {
        user_id: user.name,
        is_guest: user.is_guest,
        ...(token.device_id !== null ? { device_id: token.device_id } : {}),
      };
    },
  });
  router.add({
    method: "POST",
    path: client("/logout"),
    auth: "user",
    allowLocked: true,
    handler: (ctx) => {
      revokeToken(ctx.state, ctx.requester!.token.token);
      return {};
    },
  });
  router.add({
    method: "POST",
    path: client("/logout/all"),
    auth: "user",
    allowLocked: true,
    handler: (ctx) => {
      const userId = ctx.requester!.user.name;
      for (const d of listDevices(ctx.state, userId)) deleteDevice(ctx.state, userId, d.device_id);
      for (const [k, t] of ctx.state.tokens) if (t.user_id === userId) ctx.state.tokens.delete(k);
      return {};
    },
  });
}

const invalidLogin = () => new MatrixError(403, "M_FORBIDDEN", "Invalid username or password");

function login(ctx: RouteContext): unknown {
  const body = ctx.json();
  const limits = ctx.sim.options.rateLimits;
  const { ratelimiters } = ctx.sim;
  if (typeof body.type !== "string") throw errors.unknown("Missing JSON keys.");
  if (limits) ratelimiters.get("rc_login.address", RC_LOGIN.address).ratelimit(ctx.ip, ctx.now);

  // login_submission_legacy_convert: a top-level "user" becomes an m.id.user identifier.
  if (body.identifier === undefined && typeof body.user === "string") {
    body.identifier = { type: "m.id.user", user: body.user };
  }
  const identifier = body.identifier as Record<string, unknown> | undefined;
  if (!identifier || typeof identifier !== "object") {
    throw new MatrixError(400, "M_MISSING_PARAM", "Missing param: identifier");
  }
  if (identifier.type !== "m.id.user") throw errors.unknown("Unknown login identifier type");
  if (typeof identifier.user !== "string") throw errors.unknown("User identifier is missing 'user' key");
  const qualified = identifier.user.startsWith("@")
    ? (parseUserId(identifier.user), identifier.user)
    : mxid(ctx.state, identifier.user);
  const failedKey = qualified.toLowerCase();
  const failed = ratelimiters.get("rc_login.failed_attempts", RC_LOGIN.failedAttempts);
  if (limits) failed.ratelimit(failedKey, ctx.now, false);

  if (body.type !== "m.login.password") throw errors.unknown(`Unknown login type ${body.type}`);
  if (body.password === undefined) {
    throw errors.unknown("Missing parameters for login type m.login.password: ['password']");
  }
  if (typeof body.password !== "string") throw errors.invalidParam("Bad parameter: password");
  const user = findUserCaseInsensitive(ctx.state, qualified);
  if (!user || user.password === null || body.password !== user.password) {
    // Record the failure without raising a 429 that would mask the 403.
    if (limits) failed.canDoAction(failedKey, ctx.now);
    throw invalidLogin();
  }
  // Until 1.134 a locked user's password login succeeded and made a new device whose requests then fail locked
  // (reference §9, recorded on 1.132); 1.134 refuses it with 401 M_USER_LOCKED (reference §5).
  if (user.locked && versionAtLeast(ctx.state.version, 1, 134)) {
    throw new MatrixError(401, "M_USER_LOCKED", "User account has been locked");
  }
  if (limits) {
    ratelimiters.get("rc_login.account", RC_LOGIN.account).ratelimit(user.name.toLowerCase(), ctx.now);
  }

  const deviceId = typeof body.device_id === "string" ? body.device_id : randomDeviceId();
  if (!ctx.state.devices.get(user.name)?.has(deviceId)) {
    addDevice(ctx.state, user.name, {
      device_id: deviceId,
      display_name: typeof body.initial_device_display_name === "string" ? body.initial_device_display_name : null,
    });
  }
  const accessToken = issueToken(ctx.state, user.name, deviceId);
  return {
    user_id: user.name,
    access_token: accessToken,
    home_server: ctx.state.serverName,
    device_id: deviceId,
    well_known: { "m.homeserver": { base_url: `${ctx.sim.url}/` } },
  };
}

// User and session actions (reference §9, recorded/sequences/actions.json): create or modify a user (PUT v2 users),
// delete one device or several, reset a password, server admin on/off, shadow-ban, suspend, deactivate (and erase).
// Checks run in Synapse's order (admin servlets: parse the id, the body, local-only, the user exists).
import { errors } from "../errors";
import { Reply, type RouteContext, type Router } from "../router";
import { addUser, checkUsername, deleteDevice, listDevices, parseUserId, type SimState, type SimUser } from "../state";
import { queryUserJson } from "./users";

export function register(router: Router): void {
  router.add({ method: "PUT", path: "/_synapse/admin/v2/users/:userId", auth: "admin", handler: putUser });
  router.add({
    method: "DELETE",
    path: "/_synapse/admin/v2/users/:userId/devices/:deviceId",
    auth: "admin",
    handler: (ctx) => {
      const user = deviceOwner(ctx);
      // Synapse answers 200 for a device that does not exist (recorded): delete_devices ignores unknown ids.
      deleteDevices(ctx.state, user.name, [ctx.params.deviceId]);
      return {};
    },
  });
  router.add({
    method: "POST",
    path: "/_synapse/admin/v2/users/:userId/delete_devices",
    auth: "admin",
    handler: (ctx) => {
      const user = deviceOwner(ctx);
      const body = ctx.json();
      if (!("devices" in body)) throw errors.missingParam("Missing params: ['devices']");
      if (!Array.isArray(body.devices) || body.devices.some((d) => typeof d !== "string")) {
        throw errors.badJson("devices must be a list of strings");
      }
      deleteDevices(ctx.state, user.name, body.devices as string[]);
      return {};
    },
  });
  router.add({
    method: "POST",
    path: "/_synapse/admin/v1/reset_password/:userId",
    auth: "admin",
    unmountedUnderMas: true,
    handler: (ctx) => {
      parseUserId(ctx.params.userId);
      const body = ctx.json();
      if (!("new_password" in body)) throw errors.missingParam("Missing params: ['new_password']");
      if (typeof body.new_password !== "string" || body.new_password.length > 512) throw errors.unknown("Invalid password");
      const logoutDevices = body.logout_devices === undefined ? true : Boolean(body.logout_devices);
      // user_set_password_hash raises StoreError(404, "Unknown user") for a row that does not exist (remote too).
      const user = ctx.state.users.get(ctx.params.userId);
      if (!user) throw errors.notFound("Unknown user");
      setPassword(ctx.state, user, body.new_password, logoutDevices);
      return {};
    },
  });
  router.add({
    method: "PUT",
    path: "/_synapse/admin/v1/users/:userId/admin",
    auth: "admin",
    unmountedUnderMas: true,
    handler: (ctx) => {
      parseUserId(ctx.params.userId);
      const body = ctx.json();
      if (!("admin" in body)) throw errors.missingParam("Missing params: ['admin']");
      if (parseUserId(ctx.params.userId).domain !== ctx.state.serverName) {
        throw errors.unknown("Only local users can be admins of this homeserver");
      }
      const admin = Boolean(body.admin);
      if (ctx.params.userId === ctx.requester!.user.name && !admin) throw errors.unknown("You may not demote yourself.");
      // set_server_admin is an UPDATE: an unknown user changes nothing and still answers 200.
      const user = ctx.state.users.get(ctx.params.userId);
      if (user) user.admin = admin;
      return {};
    },
  });
  for (const method of ["POST", "DELETE"] as const) {
    router.add({
      method,
      path: "/_synapse/admin/v1/users/:userId/shadow_ban",
      auth: "admin",
      handler: (ctx) => {
        if (parseUserId(ctx.params.userId).domain !== ctx.state.serverName) {
          throw errors.unknown("Only local users can be shadow-banned");
        }
        const user = ctx.state.users.get(ctx.params.userId);
        if (user) user.shadow_banned = method === "POST";
        return {};
      },
    });
  }
  router.add({
    method: "PUT",
    path: "/_synapse/admin/v1/suspend/:userId",
    auth: "admin",
    handler: (ctx) => {
      if (parseUserId(ctx.params.userId).domain !== ctx.state.serverName) {
        throw errors.unknown("Only local users can be suspended.");
      }
      const body = ctx.json();
      const suspend = body.suspend;
      if (typeof suspend !== "boolean") throw errors.badJson("'suspend' parameter must be a boolean");
      const user = ctx.state.users.get(ctx.params.userId);
      if (!user) throw errors.notFound("User not found");
      user.suspended = suspend;
      return { [`user_${user.name}_suspended`]: suspend };
    },
  });
  router.add({
    method: "POST",
    path: "/_synapse/admin/v1/deactivate/:userId",
    auth: "admin",
    handler: (ctx) => {
      const body = ctx.rawBody.length === 0 ? {} : ctx.json();
      const erase = body.erase ?? false;
      if (typeof erase !== "boolean") throw errors.badJson("Param 'erase' must be a boolean, if given");
      if (parseUserId(ctx.params.userId).domain !== ctx.state.serverName) {
        throw errors.unknown("Can only deactivate local users");
      }
      const user = ctx.state.users.get(ctx.params.userId);
      if (!user) throw errors.notFound("User not found");
      deactivate(ctx.state, user, erase);
      return { id_server_unbind_result: "success" };
    },
  });
}

/** The device servlets' checks: local user (400) that exists (404). */
function deviceOwner(ctx: RouteContext): SimUser {
  if (parseUserId(ctx.params.userId).domain !== ctx.state.serverName) throw errors.unknown("Can only lookup local users");
  const user = ctx.state.users.get(ctx.params.userId);
  if (!user) throw errors.notFound("Unknown user");
  return user;
}

/** Synapse's delete_devices: each device, its tokens and its E2EE keys go; unknown ids are ignored. */
export function deleteDevices(state: SimState, userId: string, deviceIds: string[]): void {
  for (const deviceId of deviceIds) {
    deleteDevice(state, userId, deviceId);
    state.posture.keys.get(userId)?.devices.delete(deviceId);
  }
}

/** Every device (and so every token bound to one) and every other token of the user. */
function signOutEverywhere(state: SimState, userId: string): void {
  deleteDevices(state, userId, listDevices(state, userId).map((d) => d.device_id));
  for (const [k, t] of state.tokens) if (t.user_id === userId) state.tokens.delete(k);
}

function setPassword(state: SimState, user: SimUser, password: string, logoutDevices: boolean): void {
  user.password = password;
  if (logoutDevices) signOutEverywhere(state, user.name);
}

/**
 * DeactivateAccountHandler: devices, tokens, password and threepids go; cross-signing keys stay (reference §8);
 * with erase the user is marked erased and the profile cleared. Without erase 1.132 keeps the display name
 * (recorded). Deactivating an already deactivated user does it again and still answers 200.
 */
function deactivate(state: SimState, user: SimUser, erase: boolean): void {
  signOutEverywhere(state, user.name);
  user.deactivated = true;
  user.password = null;
  user.threepids = [];
  if (erase) {
    user.erased = true;
    user.displayname = null;
    user.avatar_url = null;
  }
}

/** UserRestServletV2.on_PUT: create (201) or modify (200) a local user; answers with the single-user shape. */
function putUser(ctx: RouteContext): unknown {
  const userId = ctx.params.userId;
  const { localpart, domain } = parseUserId(userId);
  const body = ctx.json();
  if (domain !== ctx.state.serverName) throw errors.unknown("This endpoint can only be used with local users");
  const password = body.password;
  if (password !== undefined && (typeof password !== "string" || password.length > 512)) {
    throw errors.unknown("Invalid password");
  }
  const logoutDevices = body.logout_devices === undefined ? true : Boolean(body.logout_devices);
  const bool = (key: string): boolean | undefined => {
    if (!(key in body)) return undefined;
    if (typeof body[key] !== "boolean") throw errors.unknown(`'${key}' parameter is not of type boolean`);
    return body[key] as boolean;
  };
  const admin = bool("admin");
  const displayname = body.displayname;
  if (displayname !== undefined && typeof displayname !== "string") throw errors.unknown("Invalid displayname");

  const existing = ctx.state.users.get(userId);
  if (!existing) {
    checkUsername(ctx.state, localpart);
    const user = addUser(
      ctx.state,
      {
        localpart,
        password: typeof password === "string" ? password : null,
        displayname: typeof displayname === "string" ? displayname : localpart,
        admin: admin ?? false,
      },
      ctx.now,
    );
    return new Reply(201, queryUserJson(user));
  }

  const user = existing;
  if (typeof displayname === "string" && !user.erased) user.displayname = displayname;
  if (admin !== undefined && admin !== user.admin) {
    if (userId === ctx.requester!.user.name && !admin) throw errors.unknown("You may not demote yourself.");
    user.admin = admin;
  }
  if (typeof password === "string") setPassword(ctx.state, user, password, logoutDevices);
  const deactivated = bool("deactivated");
  if (deactivated === true && !user.deactivated) deactivate(ctx.state, user, false);
  else if (deactivated === false && user.deactivated) {
    if (typeof password !== "string") throw errors.unknown("Must provide a password to re-activate an account.");
    user.deactivated = false;
    user.password = password;
  }
  const locked = bool("locked");
  if (locked !== undefined) user.locked = locked;
  return queryUserJson(user);
}

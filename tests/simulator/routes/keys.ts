// E2EE reads (reference §4, §8, keys.json): POST keys/query, GET room_keys/version (the caller's own backup), and
// the admin login-as endpoint that lets an admin read someone else's backup version (§2 "Login as user").
import { errors, MatrixError } from "../errors";
import type { RouteContext, Router } from "../router";
import { issueToken, listDevices, parseUserId } from "../state";
import { currentBackup } from "../seed-posture";
import { versionAtLeast } from "./users";

const client = (p: string) => [`/_matrix/client/v3${p}`, `/_matrix/client/r0${p}`];

export function register(router: Router): void {
  router.add({ method: "POST", path: client("/keys/query"), auth: "user", handler: keysQuery });
  router.add({
    method: "GET",
    path: client("/room_keys/version"),
    auth: "user",
    handler: (ctx) => {
      const b = currentBackup(ctx.state, ctx.requester!.user.name);
      if (!b) throw errors.notFound("No backup found");
      return { algorithm: b.algorithm, auth_data: b.auth_data, count: b.count, etag: b.etag, version: b.version };
    },
  });
  router.add({
    method: "POST",
    path: "/_synapse/admin/v1/users/:userId/login",
    auth: "admin",
    unmountedUnderMas: true,
    handler: loginAs,
  });
}

function keysQuery(ctx: RouteContext): unknown {
  const body = ctx.json();
  const query = body.device_keys;
  if (query === null || typeof query !== "object" || Array.isArray(query)) {
    throw errors.badJson("'device_keys' must be a JSON object");
  }
  const requester = ctx.requester!.user.name;
  const { posture } = ctx.state;
  const out = {
    device_keys: {} as Record<string, Record<string, unknown>>,
    failures: {} as Record<string, unknown>,
    master_keys: {} as Record<string, unknown>,
    self_signing_keys: {} as Record<string, unknown>,
    user_signing_keys: {} as Record<string, unknown>,
  };
  for (const [userId, wanted] of Object.entries(query as Record<string, unknown>)) {
    let domain: string;
    try {
      domain = parseUserId(userId).domain;
    } catch {
      throw errors.invalidParam(`Invalid user id: '${userId}'`);
    }
    if (domain !== ctx.state.serverName) {
      // Federation is off in the recorded world: every remote server is refused (failures use `message`).
      out.failures[domain] = { status: 403, errcode: "M_FORBIDDEN", message: `403: Federation denied with ${domain}.` };
      continue;
    }
    // msc4263: users who share no room with the requester are silently left out (not even `{}`).
    if (posture.limitKeyQueriesToSharedRooms && userId !== requester) continue;
    const keys = posture.keys.get(userId);
    const devices: Record<string, unknown> = {};
    const only = Array.isArray(wanted) && wanted.length > 0 ? new Set(wanted.map(String)) : null;
    // Device keys are served only for devices that still exist (logout and deactivation delete them).
    for (const d of listDevices(ctx.state, userId)) {
      const dk = keys?.devices.get(d.device_id);
      if (!dk || (only && !only.has(d.device_id))) continue;
      // Shallow copies are enough: the answer is serialised at once and nothing writes to it (a deep clone per device
      // made the simulator, not the client, the slow side of a 10,000-user scan).
      devices[d.device_id] = { ...dk, unsigned: d.display_name !== null ? { device_display_name: d.display_name } : {} };
    }
    out.device_keys[userId] = devices;
    if (keys?.master) out.master_keys[userId] = ownSignaturesOnly(keys.master, userId);
    if (keys?.selfSigning) out.self_signing_keys[userId] = keys.selfSigning;
    if (keys?.userSigning && userId === requester) out.user_signing_keys[userId] = keys.userSigning;
  }
  return out;
}

/** Synapse returns, on master keys, the owner's signatures plus only those made by the requester (none here). */
function ownSignaturesOnly(master: Record<string, unknown>, owner: string): Record<string, unknown> {
  const signatures = (master as { signatures?: Record<string, unknown> }).signatures;
  return signatures ? { ...master, signatures: { [owner]: signatures[owner] } } : master;
}

function loginAs(ctx: RouteContext): unknown {
  const target = ctx.params.userId;
  const { domain } = parseUserId(target);
  if (domain !== ctx.state.serverName) throw errors.unknown("Only local users can be logged in as");
  const user = ctx.state.users.get(target);
  // 404 for an unknown user only since 1.149 (#18518); before, a token was issued anyway.
  if (!user && versionAtLeast(ctx.state.version, 1, 149)) throw errors.notFound("User not found");
  if (target === ctx.requester!.user.name) throw errors.unknown("Cannot use admin API to login as self");
  const body = ctx.rawBody.length ? ctx.json() : {};
  const validUntil = body.valid_until_ms;
  if (validUntil !== undefined && validUntil !== null && (typeof validUntil !== "number" || !Number.isInteger(validUntil))) {
    throw new MatrixError(400, "M_INVALID_PARAM", "'valid_until_ms' parameter must be an int");
  }
  // No device is created: the token stands alone and is revoked by /logout.
  return { access_token: issueToken(ctx.state, target, null, typeof validUntil === "number" ? validUntil : null) };
}

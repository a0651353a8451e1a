// Admin device list / single device and whois (reference §2, users.json).
import { errors } from "../errors";
import type { RouteContext, Router } from "../router";
import { listDevices, parseUserId, type SimDevice } from "../state";
import { localUser } from "./users";

export function register(router: Router): void {
  router.add({
    method: "GET",
    path: "/_synapse/admin/v2/users/:userId/devices",
    auth: "admin",
    handler: (ctx) => {
      const user = localUser(ctx.state, ctx.params.userId, "Can only lookup local users", "Unknown user");
      const devices = listDevices(ctx.state, user.name).map(deviceJson);
      return { devices, total: devices.length };
    },
  });
  router.add({
    method: "GET",
    path: "/_synapse/admin/v2/users/:userId/devices/:deviceId",
    auth: "admin",
    handler: (ctx) => {
      const user = localUser(ctx.state, ctx.params.userId, "Can only lookup local users", "Unknown user");
      const device = ctx.state.devices.get(user.name)?.get(ctx.params.deviceId);
      if (!device || device.hidden) throw errors.notFound("Not found");
      return deviceJson(device);
    },
  });
  router.add({
    method: "GET",
    path: [
      "/_synapse/admin/v1/whois/:userId",
      "/_matrix/client/v3/admin/whois/:userId",
      "/_matrix/client/r0/admin/whois/:userId",
    ],
    // Any user may whois themselves; everyone else needs admin (checked below).
    auth: "user",
    handler: whois,
  });
}

function deviceJson(d: SimDevice): Record<string, unknown> {
  return {
    user_id: d.user_id,
    device_id: d.device_id,
    display_name: d.display_name,
    last_seen_user_agent: d.last_seen_user_agent,
    last_seen_ts: d.last_seen_ts,
    last_seen_ip: d.last_seen_ip,
    ...(d.dehydrated ? { dehydrated: true } : {}),
  };
}

function whois(ctx: RouteContext): unknown {
  const target = ctx.params.userId;
  const { domain } = parseUserId(target);
  if (target !== ctx.requester!.user.name && !ctx.requester!.user.admin) throw errors.notAdmin();
  if (domain !== ctx.state.serverName) throw errors.unknown("Can only whois a local user");
  // Every connection sits under the device key "" (Synapse never fills in per-device sessions here);
  // unknown local users get an empty list rather than a 404.
  const connections = ctx.state.connections
    .filter((c) => c.user_id === target)
    .sort((a, b) => b.last_seen - a.last_seen)
    .map((c) => ({ ip: c.ip, last_seen: c.last_seen, user_agent: c.user_agent }));
  return { user_id: target, devices: { "": { sessions: [{ connections }] } } };
}

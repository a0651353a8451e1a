// Server notices admin API (reference §2 "Server notices", notices.json): POST, and the idempotent PUT with a txnId.
// Checks run in Synapse's order: params, notices configured, local user, user exists.
import { randomBytes } from "node:crypto";
import { errors } from "../errors";
import type { RouteContext, Router } from "../router";
import { parseUserId } from "../state";

/** Synapse's HttpTransactionCache forgets a transaction after 30 minutes. */
export const TXN_CACHE_MS = 30 * 60_000;

export function register(router: Router): void {
  router.add({ method: "POST", path: "/_synapse/admin/v1/send_server_notice", auth: "admin", handler: (ctx) => send(ctx) });
  router.add({
    method: "PUT",
    path: "/_synapse/admin/v1/send_server_notice/:txnId",
    auth: "admin",
    handler: (ctx) => {
      // The cache is keyed by path and requester (device, else token), like Synapse since MSC3970.
      const { token } = ctx.requester!;
      const key = `${ctx.path}\u0000${token.user_id}\u0000${token.device_id ?? token.token}`;
      const txns = ctx.state.posture.noticeTxns;
      for (const [k, v] of txns) if (ctx.now - v.at > TXN_CACHE_MS) txns.delete(k);
      const cached = txns.get(key);
      if (cached) return { event_id: cached.eventId };
      const result = send(ctx);
      txns.set(key, { eventId: result.event_id, at: ctx.now });
      return result;
    },
  });
}

function send(ctx: RouteContext): { event_id: string } {
  const body = ctx.json();
  const missing = ["user_id", "content"].filter((k) => !(k in body));
  if (missing.length) throw errors.missingParam(`Missing params: [${missing.map((k) => `'${k}'`).join(", ")}]`);
  if (!ctx.state.posture.serverNoticesEnabled) throw errors.unknown("Server notices are not enabled on this server");
  const userId = String(body.user_id);
  if (parseUserId(userId).domain !== ctx.state.serverName) throw errors.unknown("Server notices can only be sent to local users");
  if (!ctx.state.users.has(userId)) throw errors.notFound("User not found");
  const content = body.content;
  if (content === null || typeof content !== "object" || Array.isArray(content)) throw errors.badJson("content must be an object");
  const eventId = `$${randomBytes(32).toString("base64url").slice(0, 43)}`;
  ctx.state.posture.notices.push({
    event_id: eventId,
    user_id: userId,
    content: content as Record<string, unknown>,
    type: typeof body.type === "string" ? body.type : "m.room.message",
    ts: ctx.now,
  });
  return { event_id: eventId };
}

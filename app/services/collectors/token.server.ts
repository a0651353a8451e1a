/**
 * Which homeserver token background collectors use: HOMESERVER_ADMIN_TOKEN when set, else the token of the most
 * recently active admin session. With neither, collectors wait (and the overview says why).
 */
import type { Db } from "../../../db/client";
import type { Config } from "../../config.server";
import { latestSessionToken } from "../auth/session.server";

export type CollectorToken =
  | { ok: true; homeserverUrl: string; accessToken: string; source: "config" | "session"; userId?: string }
  | { ok: false; reason: string };

export async function collectorToken(db: Db, config: Config, now = new Date()): Promise<CollectorToken> {
  if (config.homeserverAdminToken) {
    return { ok: true, homeserverUrl: config.homeserverUrl, accessToken: config.homeserverAdminToken, source: "config" };
  }
  const session = await latestSessionToken(
    db,
    { secret: config.sessionSecret, idleMinutes: config.sessionIdleMinutes, maxHours: config.sessionMaxHours, homeserverUrl: config.homeserverUrl },
    now,
  );
  // The configured address, not the session's spelling of it: collectors talk to the managed homeserver only.
  if (session) return { ok: true, homeserverUrl: config.homeserverUrl, accessToken: session.accessToken, source: "session", userId: session.userId };
  return {
    ok: false,
    reason: "Collectors are waiting: there is no admin token yet. Sign in, or set HOMESERVER_ADMIN_TOKEN for background collection.",
  };
}

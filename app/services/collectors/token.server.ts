/**
 * Which homeserver token background collectors use: HOMESERVER_ADMIN_TOKEN when set, else the token of the most
 * recently active admin session. With neither, collectors wait (and the overview says why).
 *
 * Under MAS (issue 16, item 3) HOMESERVER_ADMIN_TOKEN is a personal access token with both admin scopes, used
 * as is (MAS tokens are opaque; Synapse asks MAS about them). A session's token lives 5 minutes there, so a MAS
 * session is refreshed first, the same way a page load refreshes it; a session MAS refuses to refresh has ended
 * (refreshMasSession deletes it) and the next most recent one is tried.
 */
import type { Db } from "../../../db/client";
import type { Config } from "../../config.server";
import { latestSessionToken } from "../auth/session.server";
import { refreshMasSession } from "../auth/mas-sign-in.server";

export type CollectorToken =
  | { ok: true; homeserverUrl: string; accessToken: string; source: "config" | "session"; userId?: string }
  | { ok: false; reason: string };

export async function collectorToken(db: Db, config: Config, now = new Date()): Promise<CollectorToken> {
  if (config.homeserverAdminToken) {
    return { ok: true, homeserverUrl: config.homeserverUrl, accessToken: config.homeserverAdminToken, source: "config" };
  }
  const settings = { secret: config.sessionSecret, idleMinutes: config.sessionIdleMinutes, maxHours: config.sessionMaxHours, homeserverUrl: config.homeserverUrl };
  // A few tries: each ended session is deleted, so the next call finds the next one.
  for (let attempt = 0; attempt < 3; attempt++) {
    const latest = await latestSessionToken(db, settings, now);
    if (!latest) break;
    const refreshed = await refreshMasSession(db, settings, latest, { now });
    if (refreshed.ended) continue;
    const session = refreshed.session;
    // The configured address, not the session's spelling of it: collectors talk to the managed homeserver only.
    return { ok: true, homeserverUrl: config.homeserverUrl, accessToken: session.accessToken, source: "session", userId: session.userId };
  }
  return {
    ok: false,
    reason: "Collectors are waiting: there is no admin token yet. Sign in, or set HOMESERVER_ADMIN_TOKEN for background collection.",
  };
}

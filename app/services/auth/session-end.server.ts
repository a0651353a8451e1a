/**
 * Ending an admin session properly (decision 021): its token is logged out on the homeserver — which deletes the
 * device a password sign-in created — before Steward forgets it. A token the admin pasted is theirs and is never
 * logged out; a session signed in through the authentication service is revoked there instead.
 */
import type { Db } from "../../../db/client";
import type { HomeserverClient } from "../../homeserver";
import { isHomeserverError } from "../../homeserver/errors";
import { recordAudit } from "../audit/events.server";
import type { Logger } from "../observability/log.server";
import { signOutMas } from "./mas-sign-in.server";
import { deleteOtherSessionsOnDevice, expiredSessions, liveSessionOnDevice, takeSession, type SessionSettings, type StoredSession } from "./session.server";

export interface SessionEndDeps {
  db: Db;
  settings: SessionSettings;
  homeserver(baseUrl: string, accessToken?: string, opts?: { timeoutMs?: number; maxRetries?: number }): HomeserverClient;
  log: Logger;
  timeoutMs: number;
  /**
   * Work in flight on a device, by account and device (per process, on the app context): a sign-in reusing a device
   * and the logout of an ended session on it take turns (see onDevice).
   */
  ending: Map<string, Promise<unknown>>;
}

/** "ok": the token no longer works; "skipped": nothing to log out (pasted token); "retry": the homeserver did not answer. */
export type LogoutOutcome = "ok" | "skipped" | "failed" | "retry";

/**
 * Runs `fn` alone on one device of one account (in this process). A logout landing while a sign-in reuses the device
 * would delete the device under the new session; with turns, the purge sees the new session and leaves the device.
 */
export async function onDevice<T>(deps: Pick<SessionEndDeps, "ending">, userId: string, deviceId: string, fn: () => Promise<T>): Promise<T> {
  const key = `${userId}\u0000${deviceId}`;
  const before = deps.ending.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const turn = before.catch(() => {}).then(() => mine);
  deps.ending.set(key, turn);
  await before.catch(() => {});
  try {
    return await fn();
  } finally {
    release();
    if (deps.ending.get(key) === turn) deps.ending.delete(key);
  }
}

/** Logs a session's token out where it came from, without deleting the session. */
export async function logOutSession(deps: SessionEndDeps, session: StoredSession): Promise<LogoutOutcome> {
  if (session.tokenProvided) return "skipped";
  return logOutNow(deps, session);
}

async function logOutNow(deps: SessionEndDeps, session: StoredSession): Promise<LogoutOutcome> {
  // Signed in through the authentication service: revoking there ends the OAuth session (there is no device).
  const mas = await signOutMas(deps.db, deps.settings.secret, session.idHash, { timeoutMs: deps.timeoutMs });
  if (mas === "ok") return "ok";
  if (mas === "failed") return "retry";
  if (!session.accessToken) return "failed";
  try {
    await deps.homeserver(session.homeserverUrl, session.accessToken, { timeoutMs: deps.timeoutMs, maxRetries: 1 }).auth.logout();
    return "ok";
  } catch (e) {
    // A token the homeserver no longer knows is as good as logged out (its device went with it).
    if (isHomeserverError(e, ["unknown_token", "missing_token"])) return "ok";
    if (isHomeserverError(e, ["unreachable", "timeout", "server_error", "rate_limited"])) return "retry";
    deps.log.warn("could not log out an ended session's token", { user: session.userId, device: session.deviceId, error: (e as Error).message });
    return "failed";
  }
}

/** How long the purge keeps trying to log out a session while the homeserver does not answer. */
const GIVE_UP_MS = 24 * 3600_000;

/**
 * Ends the sessions past their idle or absolute limit: each token is logged out first (best effort), then the
 * session is deleted and the end recorded in the audit log. While the homeserver does not answer, a session is kept
 * and tried again on the next run, for up to a day. Returns how many sessions ended.
 */
export async function purgeExpiredSessions(deps: SessionEndDeps, now = new Date(), stopping: () => boolean = () => false): Promise<number> {
  const rows = await expiredSessions(deps.db, deps.settings, now);
  let ended = 0;
  // Once the homeserver did not answer, the other sessions of this run are not tried (each would wait out the
  // timeout): they wait for the next run, except those past the day, which are dropped as failed.
  let silent = false;
  for (const row of rows) {
    // Shutting down: the rest wait for the next start (they stay expired, so nothing is lost).
    if (stopping()) break;
    const deviceId = row.deviceId;
    const outcome: LogoutOutcome | "reused" =
      silent && !row.tokenProvided
        ? "retry"
        : deviceId && !row.tokenProvided
          ? await onDevice(deps, row.userId, deviceId, () => logOutUnlessReused(deps, { ...row, deviceId }, now))
          : await logOutSession(deps, row);
    if (outcome === "retry") silent = true;
    if (outcome === "reused") {
      if (await takeSession(deps.db, row.idHash)) ended++;
      continue;
    }
    if (outcome === "retry" && now.getTime() - row.expiredAt < GIVE_UP_MS) {
      deps.log.warn("an expired session's token could not be logged out yet: the homeserver did not answer; trying again later", { user: row.userId, device: row.deviceId });
      continue;
    }
    if (outcome === "retry") deps.log.warn("gave up logging out an expired session's token after a day without an answer from the homeserver", { user: row.userId, device: row.deviceId });
    if (!(await takeSession(deps.db, row.idHash))) continue;
    ended++;
    const reason = row.expiredAt === row.expiresAtMs ? "time_limit" : "idle";
    await recordAudit(deps.db, {
      actor: row.userId,
      action: "auth.session_ended",
      target: row.homeserverUrl,
      outcome: outcome === "ok" || outcome === "skipped" ? "ok" : "error",
      detail: { reason, homeserverLogout: outcome === "retry" ? "failed" : outcome, ...(row.deviceId && !row.tokenProvided ? { device: row.deviceId } : {}) },
    });
  }
  return ended;
}

/**
 * A newer session signed in on the same device (same browser): logging this token out would delete the device under
 * it. The device stays then; the old session only goes.
 */
async function logOutUnlessReused(deps: SessionEndDeps, row: StoredSession & { deviceId: string }, now: Date): Promise<LogoutOutcome | "reused"> {
  if (await liveSessionOnDevice(deps.db, deps.settings, row.userId, row.deviceId, row.idHash, now)) return "reused";
  return logOutSession(deps, row);
}

/**
 * A browser signed in again: its previous session ends. When the new session took over the same device, nothing is
 * logged out (that would delete the device under the new session); otherwise the old token is logged out like a
 * sign-out would. Other sessions left on a reused Steward device (this browser's earlier ones) are deleted too.
 */
export async function replacePreviousSession(
  deps: SessionEndDeps,
  previous: StoredSession | null,
  next: { idHash: string; userId: string; deviceId: string | null; stewardDevice: boolean },
): Promise<void> {
  const sameDevice = (s: StoredSession) => s.userId === next.userId && s.deviceId !== null && s.deviceId === next.deviceId;
  if (previous && previous.idHash !== next.idHash && !sameDevice(previous)) {
    const outcome = await logOutSession(deps, previous);
    if (outcome === "failed" || outcome === "retry")
      deps.log.warn("the session this sign-in replaced could not be logged out on the homeserver", { user: previous.userId, device: previous.deviceId });
    await takeSession(deps.db, previous.idHash);
  }
  // Only a device Steward created is Steward's to take over; a pasted token's device is the admin's.
  if (next.stewardDevice && next.deviceId) await deleteOtherSessionsOnDevice(deps.db, next.userId, next.deviceId, next.idHash);
}

/**
 * UserActionsBackend on the Matrix Authentication Service's admin API (issue 16, item 6; decision 024). Under
 * delegation MAS keeps sign-in, lock, deactivation and admin permission; Synapse keeps the profile, rooms and
 * server notices. So lock/unlock, deactivate/reactivate, admin permission, passwords and sessions go to MAS (the
 * account is found by its localpart), and a server notice still goes through Synapse.
 *
 * MAS's meaning is kept: deactivate erases unless told not to (Steward always says which), "admin" is permission
 * to request admin scopes, reactivation takes no password, a session is a MAS session (finished, not deleted).
 */
import type { HomeserverClient } from "../../../homeserver";
import { isMasAdminError, MasAdminError } from "../../../homeserver/mas/admin-http";
import type { MasClientInfo, MasSession, MasSessionKind, MasSessionsApi } from "../../../homeserver/mas/sessions";
import type { MasUsersApi } from "../../../homeserver/mas/users";
import type { BackendSession, UserActionName, UserActionsBackend } from "./backend";

export interface MasBackendDeps {
  users: MasUsersApi;
  sessions: MasSessionsApi;
  /** Synapse, for what MAS does not do (server notices). */
  hs: HomeserverClient;
  /** MAS's site config says password sign-in is on; null when it could not say (then MAS decides on the call). */
  passwordLogin: boolean | null;
}

/** The kinds Steward signs out (personal access tokens are revoked where they were made, e.g. Steward's own). */
const ENDABLE: MasSessionKind[] = ["compat", "oauth2", "browser"];
const LISTED: MasSessionKind[] = ["compat", "oauth2", "browser", "personal"];

export const masSessionKey = (s: { kind: MasSessionKind; id: string }) => `${s.kind}:${s.id}`;

const localpartOf = (userId: string) => userId.slice(1, userId.indexOf(":"));

/** MAS answers 400 to finishing a finished session (409 for a revoked personal one): it is gone, as asked. */
const alreadyEnded = (e: unknown) => isMasAdminError(e, "invalid") || isMasAdminError(e, "conflict");

export function masUserActions(d: MasBackendDeps): UserActionsBackend {
  // The MAS id of each account this backend touched (ids never change; the state is always read fresh).
  const ids = new Map<string, Promise<string>>();
  const idOf = (userId: string): Promise<string> => {
    let id = ids.get(userId);
    if (!id) {
      id = d.users.byUsername(localpartOf(userId)).then((u) => u.id);
      id.catch(() => ids.delete(userId));
      ids.set(userId, id);
    }
    return id;
  };

  async function activeSessions(userId: string, kinds: MasSessionKind[]): Promise<{ sessions: MasSession[]; truncated: boolean }> {
    const uid = await idOf(userId);
    const lists = await Promise.all(
      kinds.map((k) =>
        d.sessions.listActive(k, uid).catch((e) => {
          // Personal sessions exist from MAS 1.5: an older MAS has no such list, so there are none.
          if (k === "personal" && isMasAdminError(e, "not_found")) return { sessions: [], truncated: false };
          throw e;
        }),
      ),
    );
    return { sessions: lists.flatMap((l) => l.sessions), truncated: lists.some((l) => l.truncated) };
  }

  /** Ends the sessions picked from the user's own list (a key of another user's session matches nothing). */
  async function endSessions(userId: string, pick: (s: MasSession) => boolean): Promise<string[]> {
    const { sessions } = await activeSessions(userId, ENDABLE);
    const chosen = sessions.filter(pick);
    const done: string[] = [];
    for (const s of chosen) {
      try {
        await d.sessions.end(s.kind, s.id);
      } catch (e) {
        if (!alreadyEnded(e)) {
          if (!done.length || !(e instanceof MasAdminError)) throw e;
          throw new MasAdminError(e.kind, `${e.message} ${done.length} of ${chosen.length} sessions were already signed out.`, e.status, e.title);
        }
      }
      done.push(masSessionKey(s));
    }
    return done;
  }

  /** A key from `sessions` (`compat:<id>`) or a Matrix device id (from the security report or a bulk job). */
  const matches = (keys: Set<string>) => (s: MasSession) => keys.has(masSessionKey(s)) || (s.deviceId !== null && keys.has(s.deviceId));

  async function clientNames(sessions: MasSession[]): Promise<Map<string, MasClientInfo | null>> {
    const clientIds = [...new Set(sessions.map((s) => (s.kind === "oauth2" ? s.clientId : null)).filter((c): c is string => !!c))];
    // One look-up per app; MAS before 1.20 has no client list, and then the session shows without the app's name.
    const named = await Promise.all(clientIds.map((c) => d.sessions.client(c).catch(() => null)));
    return new Map(clientIds.map((c, i) => [c, named[i]]));
  }

  return {
    kind: "mas",
    supports: (action: UserActionName) => !(action === "reset-password" && d.passwordLogin === false),
    unsupportedReason: (action) =>
      action === "reset-password" && d.passwordLogin === false
        ? "The authentication service has password sign-in turned off, so accounts here have no password to reset."
        : null,

    async sessions(userId) {
      const { sessions, truncated } = await activeSessions(userId, LISTED);
      const clients = await clientNames(sessions);
      const ms = (t: Date | null) => (t ? t.getTime() : null);
      const rows: BackendSession[] = sessions.map((s) => ({
        key: masSessionKey(s),
        kind: s.kind,
        deviceId: s.deviceId,
        name: s.humanName,
        client: s.clientId ? (clients.get(s.clientId)?.name ?? null) : null,
        clientId: s.clientId,
        createdTs: ms(s.createdAt),
        lastActiveTs: ms(s.lastActiveAt),
        ip: s.lastActiveIp,
        userAgent: s.userAgent,
        canSignOut: s.kind !== "personal",
      }));
      return { sessions: rows, truncated };
    },

    async account(userId) {
      const u = await d.users.byUsername(localpartOf(userId));
      return { locked: u.lockedAt !== null, deactivated: u.deactivatedAt !== null, admin: u.canRequestAdmin, isGuest: u.legacyGuest };
    },

    async signOutDevice(userId, key) {
      await endSessions(userId, matches(new Set([key])));
    },
    async signOutDevices(userId, keys) {
      if (keys.length) await endSessions(userId, matches(new Set(keys)));
    },
    signOutAll: (userId) => endSessions(userId, () => true),

    lock: async (userId) => void (await d.users.lock(await idOf(userId))),
    unlock: async (userId) => void (await d.users.unlock(await idOf(userId))),
    async resetPassword(userId, newPassword, { signOutAll, keep = [] }) {
      await d.users.setPassword(await idOf(userId), newPassword);
      // MAS's set-password ends no session: signing out is a second step, as the confirmation page says.
      if (signOutAll) await endSessions(userId, (s) => !keep.includes(masSessionKey(s)));
    },
    deactivate: async (userId, { erase }) => void (await d.users.deactivate(await idOf(userId), { skipErase: !erase })),
    async reactivate(userId, newPassword) {
      const id = await idOf(userId);
      await d.users.reactivate(id);
      if (newPassword !== null) await d.users.setPassword(id, newPassword);
    },
    setAdmin: async (userId, admin) => void (await d.users.setCanRequestAdmin(await idOf(userId), admin)),
    sendNotice: async (userId, text, txnId) => void (await d.hs.notices.send(userId, { msgtype: "m.text", body: text }, txnId)),
  };
}

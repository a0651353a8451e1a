/** The account an action is about, as the homeserver says it is now, and the backend that acts on it. */
import type { HomeserverClient } from "../../../homeserver";
import { describeHomeserverError, isHomeserverError } from "../../../homeserver";
import type { UserActionsBackend } from "./backend";
import type { ActionTarget } from "./rules";
import { synapseUserActions } from "./synapse.server";

/**
 * The backend for this deployment. Synapse's admin API today; a deployment that delegates accounts to MAS gets a
 * MAS implementation of the same interface here.
 */
export function userActionsBackend(hs: HomeserverClient): UserActionsBackend {
  return synapseUserActions(hs);
}

export type TargetLookup = { ok: true; target: ActionTarget } | { ok: false; status: number; error: string };

/** `serverName` is the admin's own server: a user of any other server is remote and gets no action. */
export async function loadActionTarget(hs: HomeserverClient, userId: string, serverName: string): Promise<TargetLookup> {
  const local = userId.slice(userId.indexOf(":") + 1) === serverName;
  if (!local) {
    return { ok: true, target: { userId, local: false, isGuest: false, deactivated: false, erased: false, locked: false, admin: false } };
  }
  try {
    const u = await hs.users.get(userId);
    return {
      ok: true,
      target: { userId, local: true, isGuest: u.isGuest, deactivated: u.deactivated, erased: u.erased, locked: u.locked, admin: u.admin },
    };
  } catch (e) {
    if (e instanceof Response) throw e;
    if (isHomeserverError(e, "not_found")) return { ok: false, status: 404, error: `The homeserver has no user ${userId}.` };
    if (isHomeserverError(e, "unknown_token") || isHomeserverError(e, "missing_token")) throw e;
    return { ok: false, status: 502, error: describeHomeserverError(e) };
  }
}

/** The actions a user's page offers, from what the page already loaded (no extra homeserver call). */
import type { HomeserverClient } from "../../../homeserver";
import type { UserDetailView } from "../detail.server";
import { USER_ACTIONS, type UserActionName } from "./backend";
import { ACTION_LABELS, DONE, offeredActions, refusal, type ActionTarget } from "./rules";
import { userActionsBackend } from "./target.server";

export interface PageActions {
  /** `/users/<id>/act`: each action's confirmation page is `${base}?action=<name>`. */
  base: string;
  offered: Array<{ action: UserActionName; label: string }>;
  /** Whether each device gets a "Sign out…" link. */
  deviceSignOut: boolean;
  /** Steward's own session device when the page is the admin's own account (it gets no link). */
  ownDeviceId: string | null;
  /** Why there are no actions (remote user, profile unavailable), or null. */
  note: string | null;
  /** The sentence for `?done=<action>`, or null. */
  done: string | null;
}

export function pageActions(
  hs: HomeserverClient,
  view: UserDetailView,
  session: { userId: string; deviceId: string | null },
  done: string | null,
): PageActions {
  const base = `/users/${encodeURIComponent(view.userId)}/act`;
  const doneText = done && (USER_ACTIONS as readonly string[]).includes(done) ? DONE[done as UserActionName] : null;
  const serverName = session.userId.slice(session.userId.indexOf(":") + 1);
  const local = view.userId.slice(view.userId.indexOf(":") + 1) === serverName;
  const none = (note: string): PageActions => ({ base, offered: [], deviceSignOut: false, ownDeviceId: null, note, done: doneText });
  if (!local) return none("This user belongs to another server: Steward can only act on accounts of this homeserver.");
  if (!view.profile.ok) return none("Actions are unavailable while the homeserver does not answer for this user.");
  const p = view.profile.value;
  const target: ActionTarget = { userId: view.userId, local, isGuest: p.isGuest, deactivated: p.deactivated, erased: p.erased, locked: p.locked, admin: p.admin };
  const backend = userActionsBackend(hs);
  const actor = { userId: session.userId, deviceId: session.deviceId };
  const offered = offeredActions(target, actor, backend.supports).map((action) => ({ action, label: ACTION_LABELS[action] }));
  return {
    base,
    offered,
    deviceSignOut: backend.supports("sign-out-device") && refusal("sign-out-device", target, actor) === null,
    ownDeviceId: view.userId === session.userId ? session.deviceId : null,
    note: null,
    done: doneText,
  };
}

/** The actions a user's page offers, from what the page already loaded (no extra homeserver call). */
import type { UserDetailView } from "../detail.server";
import type { MasUserView } from "../mas-detail.server";
import { USER_ACTIONS, type BackendKind, type UserActionName, type UserActionsBackend } from "./backend";
import { actionLabel, doneText, offeredActions, refusal, type ActionTarget, type Actor } from "./rules";

export interface PageActions {
  /** `/users/<id>/act`: each action's confirmation page is `${base}?action=<name>`. */
  base: string;
  /** Which system acts on this account: the page says "admin" the way that system means it. */
  service: BackendKind;
  offered: Array<{ action: UserActionName; label: string }>;
  /** Actions this homeserver's account service does not offer, each with the reason (shown beside the buttons). */
  unavailable: Array<{ action: UserActionName; label: string; reason: string }>;
  /** Whether each device (or, under MAS, each session) gets a "Sign out…" link. */
  deviceSignOut: boolean;
  /** Steward's own session device when the page is the admin's own account (it gets no link). */
  ownDeviceId: string | null;
  /** Why there are no actions (remote user, profile unavailable), or null. */
  note: string | null;
  /** The sentence for `?done=<action>`, or null. */
  done: string | null;
}

export function pageActions(backend: UserActionsBackend, view: UserDetailView, actor: Actor, done: string | null, mas: MasUserView | null): PageActions {
  const service = backend.kind;
  const base = `/users/${encodeURIComponent(view.userId)}/act`;
  const doneName = done && (USER_ACTIONS as readonly string[]).includes(done) ? (done as UserActionName) : null;
  const doneSentence = doneName ? doneText(doneName, service) : null;
  const serverName = actor.userId.slice(actor.userId.indexOf(":") + 1);
  const local = view.userId.slice(view.userId.indexOf(":") + 1) === serverName;
  const none = (note: string): PageActions => ({ base, service, offered: [], unavailable: [], deviceSignOut: false, ownDeviceId: null, note, done: doneSentence });
  if (!local) return none("This user belongs to another server: Steward can only act on accounts of this homeserver.");
  if (!view.profile.ok) return none("Actions are unavailable while the homeserver does not answer for this user.");
  if (mas && !mas.account.ok) {
    return none(
      mas.account.notFound ? mas.account.error : `Actions are unavailable while the authentication service does not answer for this user: ${mas.account.error}`,
    );
  }
  const p = view.profile.value;
  // Under MAS its own account state is the truth for lock, deactivation and admin permission; erasure is Synapse's.
  const kept = mas?.account.ok ? mas.account.value : { isGuest: p.isGuest, deactivated: p.deactivated, locked: p.locked, admin: p.admin };
  const target: ActionTarget = { userId: view.userId, local, erased: p.erased, ...kept, service };
  const offered = offeredActions(target, actor, backend.supports).map((action) => ({ action, label: actionLabel(action, service) }));
  const unavailable = USER_ACTIONS.filter((a) => a !== "sign-out-device" && a !== "sign-out-stale" && !backend.supports(a)).map((action) => ({
    action,
    label: actionLabel(action, service),
    reason: backend.unsupportedReason(action) ?? "This homeserver's account service does not offer it.",
  }));
  return {
    base,
    service,
    offered,
    unavailable,
    deviceSignOut: backend.supports("sign-out-device") && refusal("sign-out-device", target, actor) === null,
    ownDeviceId: view.userId === actor.userId ? actor.deviceId : null,
    note: null,
    done: doneSentence,
  };
}

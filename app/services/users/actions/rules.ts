/**
 * Which actions apply to a user, the guard rails, and what each action does in words. Plain module: the
 * confirmation page and the user page import it to show exactly what will happen to whom.
 */
import type { BackendKind, UserActionName } from "./backend";
import { MAS_DONE, MAS_LABELS, masConsequence, masSummary } from "./mas-words";

/** What the rules need to know about the account acted on (from the homeserver's live answer). */
export interface ActionTarget {
  userId: string;
  /** On this homeserver (Steward cannot act on remote users). */
  local: boolean;
  isGuest: boolean;
  deactivated: boolean;
  erased: boolean;
  locked: boolean;
  /** Synapse: server admin. Under MAS: allowed to request admin scopes (MAS's `admin`). */
  admin: boolean;
  /** Which system keeps the account's lock, deactivation and admin state (default: Synapse). */
  service?: BackendKind;
}

/** The signed-in admin: their account and the device of Steward's own session. */
export interface Actor {
  userId: string;
  deviceId: string | null;
  /** Session keys that are Steward's own sign-ins (under MAS: sessions of Steward's OAuth 2.0 client). */
  ownSessions?: readonly string[];
}

export const ACTION_LABELS: Record<UserActionName, string> = {
  "sign-out-device": "Sign out this session",
  "sign-out-all": "Sign out every session",
  "sign-out-stale": "Sign out stale sessions",
  lock: "Lock the account",
  unlock: "Unlock the account",
  "reset-password": "Reset the password",
  deactivate: "Deactivate the account",
  reactivate: "Reactivate the account",
  "make-admin": "Make server admin",
  "remove-admin": "Remove server admin",
  "send-notice": "Send a message",
};

/** The button's words: under MAS "admin" is permission to request admin scopes, and says so. */
export function actionLabel(action: UserActionName, service: BackendKind = "synapse"): string {
  return service === "mas" ? (MAS_LABELS[action] ?? ACTION_LABELS[action]) : ACTION_LABELS[action];
}

/** Whether the confirmation asks for a new password (MAS reactivates without one: the old one works again). */
export function asksPassword(action: UserActionName, service: BackendKind = "synapse"): boolean {
  return action === "reset-password" || (action === "reactivate" && service === "synapse");
}

/**
 * Why an action cannot be done to this user by this admin, or null when it can. Checked again on the server when
 * the form comes back: a hidden button is not a guard rail.
 */
export function refusal(action: UserActionName, t: ActionTarget, actor: Actor, deviceId?: string): string | null {
  const self = t.userId === actor.userId;
  const mas = t.service === "mas";
  if (!t.local) return "Steward can act only on accounts of this homeserver; this user belongs to another server.";
  if (action === "reactivate") return t.deactivated ? null : "This account is active; there is nothing to reactivate.";
  if (t.deactivated) return "This account is deactivated. Reactivate it first.";
  if (t.isGuest && ["reset-password", "make-admin", "remove-admin", "send-notice"].includes(action)) {
    return "Guest accounts have no password and cannot be server admins or receive notices.";
  }
  switch (action) {
    case "lock":
      if (self) return "You cannot lock the account you are signed in with.";
      return t.locked ? "This account is already locked." : null;
    case "unlock":
      return t.locked ? null : "This account is not locked.";
    case "deactivate":
      return self ? "You cannot deactivate the account you are signed in with." : null;
    case "remove-admin":
      if (self) return mas ? "You cannot remove admin access from the account you are signed in with." : "You cannot remove server admin from the account you are signed in with.";
      if (t.admin) return null;
      return mas ? "This account is not allowed to request admin access." : "This account is not a server admin.";
    case "make-admin":
      if (!t.admin) return null;
      return mas ? "This account is already allowed to request admin access." : "This account is already a server admin.";
    case "sign-out-all":
      return self ? "Signing out every session of your own account would end this Steward session too; sign out single sessions instead." : null;
    case "sign-out-device":
      if (self && deviceId && deviceId === actor.deviceId) return "That is the session Steward itself uses; sign out of Steward instead.";
      if (self && deviceId && actor.ownSessions?.includes(deviceId)) {
        return "That is a Steward sign-in of your own account (Steward's app at the authentication service); sign out of Steward instead, in the browser that uses it.";
      }
      return null;
    case "sign-out-stale":
      return null;
    default:
      return null;
  }
}

/** The actions to offer on a user's page (those without a refusal; per-session sign-out is offered per device). */
export function offeredActions(t: ActionTarget, actor: Actor, supports: (a: UserActionName) => boolean): UserActionName[] {
  const order: UserActionName[] = ["sign-out-all", "sign-out-stale", "lock", "unlock", "reset-password", "send-notice", "make-admin", "remove-admin", "deactivate", "reactivate"];
  return order.filter((a) => supports(a) && refusal(a, t, actor) === null);
}

export interface ActionOptions {
  /** Which system acts (default Synapse): the words say what that system does. */
  service?: BackendKind;
  /** Under MAS, what the session is (its app or device), for the sign-out sentence. */
  sessionLabel?: string;
  deviceId?: string;
  /** sign-out-stale: how many sessions, unseen for how many days. */
  count?: number;
  days?: number;
  erase?: boolean;
  signOutAll?: boolean;
}

/** One sentence: exactly what the action will do, to whom (shown on the confirmation page). */
export function consequence(action: UserActionName, userId: string, o: ActionOptions = {}): string {
  if (o.service === "mas") return masConsequence(action, userId, o);
  switch (action) {
    case "sign-out-device":
      return `The session ${o.deviceId} of ${userId} will end: its access token stops working at once and its encryption keys are deleted. If that device was the only one holding keys for encrypted messages, ${userId} may not be able to read them on other devices. The account stays usable; they can sign in again.`;
    case "sign-out-stale":
      return o.count === 1
        ? `The session of ${userId} listed below, unseen for more than ${o.days} days, will end: its access token stops working and its encryption keys are deleted. Their other sessions stay signed in.`
        : `The ${o.count} sessions of ${userId} listed below, unseen for more than ${o.days} days, will end: their access tokens stop working and their encryption keys are deleted. Their other sessions stay signed in.`;
    case "sign-out-all":
      return `Every session of ${userId} will end: all their devices are signed out and their encryption keys deleted. The account stays usable; they can sign in again with their password.`;
    case "lock":
      return `${userId} keeps the account, but every request from any of their sessions will fail until you unlock it. They are not signed out and nothing is deleted.`;
    case "unlock":
      return `${userId} will be able to use their sessions again.`;
    case "reset-password":
      return `${userId}'s password will be replaced by the new one${o.signOutAll === false ? "; their sessions stay signed in." : ", and every one of their sessions signed out (untick below to keep them)."} Tell them the new password through a channel you trust.`;
    case "deactivate":
      return o.erase
        ? `${userId} will be deactivated and erased: every session signed out, the password removed, the profile (display name and avatar) deleted, and their messages marked erased so people who join their rooms later will not see them. Erasing cannot be undone.`
        : `${userId} will be deactivated: every session signed out and the password removed, so nobody can sign in to it. Their messages and profile stay. You can reactivate it later with a new password.`;
    case "reactivate":
      return `${userId} will be reactivated with the new password you set. Their old sessions stay signed out.`;
    case "make-admin":
      return `${userId} will become a server admin: they can then use the homeserver's admin API, including everything Steward does.`;
    case "remove-admin":
      return `${userId} will no longer be a server admin.`;
    case "send-notice":
      return `${userId} will receive your message as a server notice, in the server notices room of their client.`;
  }
}

/** What the user's page says after the action succeeded, in the words of the system that acted. */
export function doneText(action: UserActionName, service: BackendKind = "synapse"): string {
  return service === "mas" ? (MAS_DONE[action] ?? DONE[action]) : DONE[action];
}

/** What the user's page says after the action succeeded. */
export const DONE: Record<UserActionName, string> = {
  "sign-out-device": "The session was signed out.",
  "sign-out-all": "Every session was signed out.",
  "sign-out-stale": "The stale sessions were signed out.",
  lock: "The account is locked.",
  unlock: "The account is unlocked.",
  "reset-password": "The password was reset.",
  deactivate: "The account is deactivated.",
  reactivate: "The account is reactivated.",
  "make-admin": "The account is now a server admin.",
  "remove-admin": "The account is no longer a server admin.",
  "send-notice": "The message was sent.",
};

/** The audit log's sentence for an action (what was asked; the outcome column says whether it happened). */
export function summary(action: UserActionName, userId: string, o: ActionOptions = {}): string {
  const mas = o.service === "mas" ? masSummary(action, userId) : null;
  if (mas) return mas;
  switch (action) {
    case "sign-out-device":
      return `Sign out session ${o.deviceId} of ${userId}`;
    case "sign-out-all":
      return `Sign out every session of ${userId}`;
    case "sign-out-stale":
      return `Sign out ${o.count} session${o.count === 1 ? "" : "s"} of ${userId} unseen for more than ${o.days} days`;
    case "lock":
      return `Lock ${userId}`;
    case "unlock":
      return `Unlock ${userId}`;
    case "reset-password":
      return `Reset the password of ${userId}${o.signOutAll === false ? " (sessions kept)" : " and sign out every session"}`;
    case "deactivate":
      return `Deactivate ${userId}${o.erase ? " and erase it" : ""}`;
    case "reactivate":
      return `Reactivate ${userId} with a new password`;
    case "make-admin":
      return `Make ${userId} a server admin`;
    case "remove-admin":
      return `Remove server admin from ${userId}`;
    case "send-notice":
      return `Send a server notice to ${userId}`;
  }
}

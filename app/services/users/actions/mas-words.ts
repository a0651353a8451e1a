/**
 * What each action does when the homeserver delegates accounts to the Matrix Authentication Service, in words an
 * admin reads on the confirmation page (decision 024). MAS's meaning is said, not translated into Synapse's:
 * "admin" is permission to request admin scopes, deactivation erases unless told not to, a locked user is cut off
 * within Synapse's two-minute cache, reactivation brings back neither emails nor sessions. Plain module.
 */
import type { UserActionName } from "./backend";
import type { ActionOptions } from "./rules";

export const MAS_LABELS: Partial<Record<UserActionName, string>> = {
  "make-admin": "Allow admin access",
  "remove-admin": "Remove admin access",
};

export const MAS_DONE: Partial<Record<UserActionName, string>> = {
  "sign-out-device": "The session was signed out in the authentication service.",
  deactivate: "The account is deactivated in the authentication service.",
  "make-admin": "The account may now request admin access.",
  "remove-admin": "The account may no longer request admin access. Sessions that already have admin rights keep them until they end.",
};

/** What "admin" means under MAS, for the user page and the confirmation (one sentence, reused). */
export const MAS_ADMIN_MEANING =
  "Under the authentication service, admin is a permission to request admin access when signing in to an admin tool such as Steward; Synapse's own admin flag is not used.";

export function masConsequence(action: UserActionName, userId: string, o: ActionOptions): string {
  const sessions = o.count === 1 ? "session" : "sessions";
  switch (action) {
    case "sign-out-device":
      return `The session ${o.sessionLabel ?? o.deviceId} of ${userId} will be finished in the authentication service: its access stops working, and its Matrix device is removed from the homeserver with its encryption keys. If that device was the only one holding keys for encrypted messages, ${userId} may not be able to read them on other devices. The account stays usable; they can sign in again.`;
    case "sign-out-stale":
      return `The ${o.count === 1 ? "" : `${o.count} `}${sessions} of ${userId} listed below, not active for more than ${o.days} days, will be finished in the authentication service, and their Matrix devices removed with their encryption keys. Their other sessions stay signed in.`;
    case "sign-out-all":
      return `Every session of ${userId} in the authentication service will be finished (apps, password sign-ins and browser sessions), and their Matrix devices removed with their encryption keys. Personal access tokens are not touched. The account stays usable; they can sign in again.`;
    case "lock":
      return `${userId} keeps the account, but the authentication service will refuse every one of their sessions until you unlock it; the homeserver notices within two minutes (it remembers the service's answers that long). They are not signed out and nothing is deleted.`;
    case "unlock":
      return `${userId} will be able to use their sessions again. Unlocking does not reactivate a deactivated account.`;
    case "reset-password":
      return `${userId}'s password in the authentication service will be replaced by the new one${o.signOutAll === false ? "; their sessions stay signed in (the authentication service does not end them by itself)." : ", and then every one of their sessions finished (untick below to keep them)."} The new password must meet the service's strength rule. Tell them the new password through a channel you trust.`;
    case "deactivate":
      return o.erase
        ? `${userId} will be deactivated and erased: the authentication service finishes every session, removes their email addresses, and has the homeserver deactivate the account, delete the profile (display name and avatar) and mark their messages erased so people who join their rooms later will not see them. Erasing cannot be undone.`
        : `${userId} will be deactivated: the authentication service finishes every session and removes their email addresses, and the homeserver deactivates the account. Their messages and profile stay: the authentication service would erase them by default, and Steward tells it not to. You can reactivate it later; email addresses and sessions do not come back.`;
    case "reactivate":
      return `${userId} will be reactivated in the authentication service and on the homeserver. They can sign in again the way they did before (their password, if they had one, is unchanged); their email addresses and sessions do not come back, and a locked account stays locked.`;
    case "make-admin":
      return `${userId} will be allowed to request admin access: the next time they sign in to an admin tool such as Steward, they can get admin rights on the authentication service and on the homeserver. Nothing changes for the sessions they have now, and Synapse's own admin flag is not touched (it is not used under the authentication service).`;
    case "remove-admin":
      return `${userId} will no longer be allowed to request admin access. Sessions that already have admin rights keep them until they end: sign those sessions out too to take the rights away now.`;
    case "send-notice":
      return `${userId} will receive your message as a server notice from the homeserver, in the server notices room of their client.`;
  }
}

/** The audit log's sentence where MAS's meaning differs from Synapse's (null: the classic sentence says it). */
export function masSummary(action: UserActionName, userId: string): string | null {
  switch (action) {
    case "reactivate":
      return `Reactivate ${userId}`;
    case "make-admin":
      return `Allow ${userId} to request admin access`;
    case "remove-admin":
      return `Stop ${userId} requesting admin access`;
    default:
      return null;
  }
}

/** A session in words, for the confirmation and the audit log: its app or device, never a bare internal id. */
export function sessionLabel(s: { kind: string; deviceId: string | null; name: string | null; client: string | null }): string {
  const device = s.deviceId ? ` (device ${s.deviceId})` : "";
  switch (s.kind) {
    case "compat":
      return `${s.name ? `“${s.name}”, ` : ""}a password sign-in${device}`;
    case "oauth2":
      return `${s.client ? `“${s.client}”` : s.name ? `“${s.name}”` : "an app"} signed in through the authentication service${device}`;
    case "browser":
      return "a browser session on the authentication service's own pages";
    case "personal":
      return `the personal access token${s.name ? ` “${s.name}”` : ""}`;
    default:
      return s.deviceId ?? "a session";
  }
}

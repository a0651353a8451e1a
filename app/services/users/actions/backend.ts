/**
 * What Steward can do to a user and their sessions, whatever the account backend is. Synapse's admin API is one
 * implementation (synapse.server.ts); a deployment that delegates accounts to the Matrix Authentication Service
 * implements the same interface with MAS's admin API. Nothing here names an endpoint: a backend answers in these
 * terms, and the caller (actions/run.server.ts) adds the guard rails, the audit entry and the words.
 *
 * Plain module (types only): the UI imports USER_ACTIONS' names and labels; only services implement it.
 */

/** Every action, by the name the forms, the audit log and `supports` use. */
export const USER_ACTIONS = [
  "sign-out-device",
  "sign-out-all",
  "sign-out-stale",
  "lock",
  "unlock",
  "reset-password",
  "deactivate",
  "reactivate",
  "make-admin",
  "remove-admin",
  "send-notice",
] as const;
export type UserActionName = (typeof USER_ACTIONS)[number];

/** Which system acts on accounts: Synapse's admin API, or the Matrix Authentication Service's. */
export type BackendKind = "synapse" | "mas";

/**
 * One session as the backend ends it. On Synapse a session is a device; under MAS it is a MAS session (a password
 * sign-in, an app signed in through MAS, a browser session at MAS, or a personal access token).
 */
export interface BackendSession {
  /** What `signOutDevice` takes: the device id on Synapse, `<kind>:<id>` under MAS. */
  key: string;
  kind: "device" | "compat" | "oauth2" | "browser" | "personal";
  /** The Matrix device behind it, when there is one. */
  deviceId: string | null;
  /** The name the user or the service gave it (untrusted text). */
  name: string | null;
  /** The app's name (OAuth 2.0 sessions), when MAS could say. */
  client: string | null;
  /** The app's id at MAS (OAuth 2.0 sessions): Steward's own client marks Steward's own sign-ins. */
  clientId: string | null;
  createdTs: number | null;
  lastActiveTs: number | null;
  ip: string | null;
  userAgent: string | null;
  /** False for sessions Steward does not end (personal access tokens: revoked where they were made). */
  canSignOut: boolean;
}

/** The account's state where the backend, not Synapse, keeps the truth (under MAS: lock, deactivation, admin). */
export interface BackendAccount {
  locked: boolean;
  deactivated: boolean;
  /** Synapse: the admin column. MAS: permission to request admin scopes. */
  admin: boolean;
  isGuest: boolean;
}

export interface UserActionsBackend {
  /** Shown in the audit entry (`service`) so the admin knows which system acted. */
  readonly kind: BackendKind;
  /** False for an action this backend cannot do (the page then offers no button for it). */
  supports(action: UserActionName): boolean;
  /** Why `supports` is false, in words for the page; null when the action is supported. */
  unsupportedReason(action: UserActionName): string | null;
  /** The user's sessions, as this backend ends them; `truncated` when there were more than it reads. */
  sessions(userId: string): Promise<{ sessions: BackendSession[]; truncated: boolean }>;
  /** The account as this backend keeps it; null when Synapse's own answer is the truth (classic Synapse). */
  account(userId: string): Promise<BackendAccount | null>;
  /** Ends one session (a key from `sessions`): its access token stops working. Unknown or ended ones are no error. */
  signOutDevice(userId: string, key: string): Promise<void>;
  /** Ends several sessions of one user (unknown keys ignored). */
  signOutDevices(userId: string, keys: string[]): Promise<void>;
  /** Ends every session of the user; returns the keys it signed out. */
  signOutAll(userId: string): Promise<string[]>;
  /** The user keeps the account, but every request with their sessions fails until unlocked. */
  lock(userId: string): Promise<void>;
  unlock(userId: string): Promise<void>;
  /**
   * Sets a new password; with `signOutAll` every session ends too, except the keys in `keep` (Steward's own sign-in
   * when admins reset their own password: Synapse keeps the requester's device by itself).
   */
  resetPassword(userId: string, newPassword: string, opts: { signOutAll: boolean; keep?: readonly string[] }): Promise<void>;
  /** Deactivates (sessions end); `erase` also erases the user (profile and messages). */
  deactivate(userId: string, opts: { erase: boolean }): Promise<void>;
  /** Reactivates a deactivated account; Synapse needs a new password, MAS takes none (null). */
  reactivate(userId: string, newPassword: string | null): Promise<void>;
  /** Grants or removes admin (Synapse: server admin; MAS: permission to request admin scopes). */
  setAdmin(userId: string, admin: boolean): Promise<void>;
  /** Sends a plain-text server notice; `txnId` makes a repeat send nothing twice. */
  sendNotice(userId: string, text: string, txnId: string): Promise<void>;
}

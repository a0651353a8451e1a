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

export interface UserActionsBackend {
  /** "synapse" or "mas": shown in the audit entry so the admin knows which system acted. */
  readonly kind: string;
  /** False for an action this backend cannot do (the page then offers no button for it). */
  supports(action: UserActionName): boolean;
  /** Ends one session: the device and its access token go, and so do its E2EE keys. Unknown devices are no error. */
  signOutDevice(userId: string, deviceId: string): Promise<void>;
  /** Ends several sessions of one user in one call (unknown ids ignored). */
  signOutDevices(userId: string, deviceIds: string[]): Promise<void>;
  /** Ends every session of the user; returns the device ids it signed out. */
  signOutAll(userId: string): Promise<string[]>;
  /** The user keeps the account, but every request with their sessions fails until unlocked. */
  lock(userId: string): Promise<void>;
  unlock(userId: string): Promise<void>;
  /** Sets a new password; with `signOutAll` every session ends too. */
  resetPassword(userId: string, newPassword: string, opts: { signOutAll: boolean }): Promise<void>;
  /** Deactivates (sessions and password go); `erase` also marks the user erased (profile and messages). */
  deactivate(userId: string, opts: { erase: boolean }): Promise<void>;
  /** Reactivates a deactivated account with a new password. */
  reactivate(userId: string, newPassword: string): Promise<void>;
  /** Grants or removes server admin. */
  setAdmin(userId: string, admin: boolean): Promise<void>;
  /** Sends a plain-text server notice; `txnId` makes a repeat send nothing twice. */
  sendNotice(userId: string, text: string, txnId: string): Promise<void>;
}

/**
 * MAS's users (mas-api.md §3.2). MAS's meaning is kept, not translated into
 * Synapse's: `canRequestAdmin` is permission to *request* admin scopes (Synapse's admin column is neither written
 * nor used under delegation); deactivation erases unless `skipErase` is sent; reactivation does not unlock and does
 * not restore emails or sessions; set-password touches only MAS and ends no session (and answers 403 when MAS has
 * password sign-in off: server-info.ts says so beforehand).
 *
 * Writes are not retried (admin-http.ts): lock or set-admin twice would be harmless, but a deactivate repeated
 * after a lost answer must not be sent with different options, so the caller decides.
 */
import { masAdminHttp, type MasAdminOptions } from "./admin-http";

export interface MasUser {
  /** MAS's id (a ULID). */
  id: string;
  /** The Matrix localpart. */
  username: string;
  createdAt: Date;
  lockedAt: Date | null;
  deactivatedAt: Date | null;
  /** `can_request_admin`: may ask for admin scopes when signing in to an admin tool. Not Synapse's admin flag. */
  canRequestAdmin: boolean;
  /** Was a Synapse guest before migration to MAS (≥ v1.3.0). */
  legacyGuest: boolean;
}

interface UserAttributes {
  username: string;
  created_at: string;
  locked_at: string | null;
  deactivated_at: string | null;
  admin: boolean;
  legacy_guest?: boolean;
}

const date = (s: string | null | undefined) => (typeof s === "string" ? new Date(s) : null);

function toUser(r: { id: string; attributes: UserAttributes }): MasUser {
  const a = r.attributes;
  return {
    id: r.id,
    username: String(a.username),
    createdAt: date(a.created_at) ?? new Date(0),
    lockedAt: date(a.locked_at),
    deactivatedAt: date(a.deactivated_at),
    canRequestAdmin: a.admin === true,
    legacyGuest: a.legacy_guest === true,
  };
}

const userPath = (id: string, action?: string) => `users/${encodeURIComponent(id)}${action ? `/${action}` : ""}`;

export function masUsers(opts: MasAdminOptions) {
  const http = masAdminHttp(opts);
  return {
    /** GET /users/by-username/{localpart}: 404 `User with username "…" not found`. */
    async byUsername(localpart: string): Promise<MasUser> {
      return toUser(await http.get<UserAttributes>(`users/by-username/${encodeURIComponent(localpart)}`, `looking up the account ${localpart}`));
    },
    async get(id: string): Promise<MasUser> {
      return toUser(await http.get<UserAttributes>(userPath(id), "reading an account"));
    },
    /** Sets `locked_at`; sessions are not ended, but every token of a locked user stops working at Synapse. */
    async lock(id: string): Promise<MasUser> {
      return toUser(await http.send<UserAttributes>("POST", userPath(id, "lock"), "locking the account"));
    },
    /** Clears `locked_at` (does not reactivate). */
    async unlock(id: string): Promise<MasUser> {
      return toUser(await http.send<UserAttributes>("POST", userPath(id, "unlock"), "unlocking the account"));
    },
    /**
     * MAS ends every session, deletes the emails, then deactivates in Synapse — erasing unless `skipErase` (≥ v0.20.0).
     * The flag is always sent, so what MAS does never depends on its default.
     */
    async deactivate(id: string, o: { skipErase: boolean }): Promise<MasUser> {
      return toUser(await http.send<UserAttributes>("POST", userPath(id, "deactivate"), "deactivating the account", { skip_erase: o.skipErase }));
    },
    /** Reactivates in Synapse (synchronously), then clears `deactivated_at`; no unlock, no emails or sessions back. */
    async reactivate(id: string): Promise<MasUser> {
      return toUser(await http.send<UserAttributes>("POST", userPath(id, "reactivate"), "reactivating the account"));
    },
    /** Changes only `can_request_admin` in MAS; nothing is sent to Synapse, existing sessions keep their scopes. */
    async setCanRequestAdmin(id: string, admin: boolean): Promise<MasUser> {
      return toUser(await http.send<UserAttributes>("POST", userPath(id, "set-admin"), admin ? "allowing admin access" : "removing admin access", { admin }));
    },
    /** 204; 403 "Password auth is disabled"; 400 "Password is too weak" (below MAS's complexity rule). */
    async setPassword(id: string, password: string): Promise<void> {
      await http.call("POST", userPath(id, "set-password"), "setting the password", { password });
    },
  };
}

export type MasUsersApi = ReturnType<typeof masUsers>;

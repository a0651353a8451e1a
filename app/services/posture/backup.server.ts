/**
 * The exact key-backup sources (reference §4 "Key backup" and "Read-only DB"):
 * 1. Synapse's own PostgreSQL, read-only: the current backup is MAX(version) WHERE deleted = 0 in
 *    e2e_room_keys_versions, with its key count from e2e_room_keys. One query per page of users, no homeserver load.
 *    Only those two tables are read (never `users` or `access_tokens`; the README's GRANTs allow nothing else).
 * 2. Opt-in login-as: a token valid for one minute acting as the user, one GET room_keys/version, then logout.
 *    It is impersonation, so every use is audited.
 */
import pg from "pg";
import type { HomeserverClient } from "../../homeserver";
import { describeHomeserverError, isHomeserverError } from "../../homeserver/errors";
import type { BackupFact } from "./classify.server";

export interface SynapseBackupReader {
  /** userId → current backup; a user absent from the map has none. */
  lookup(userIds: string[]): Promise<Map<string, { version: string; count: number }>>;
  close(): Promise<void>;
}

const CURRENT_BACKUPS = `
  select v.user_id, v.version::text as version,
         (select count(*) from e2e_room_keys k where k.user_id = v.user_id and k.version = v.version)::int as count
    from e2e_room_keys_versions v
   where v.user_id = any($1::text[]) and v.deleted = 0
     and v.version = (select max(w.version) from e2e_room_keys_versions w where w.user_id = v.user_id and w.deleted = 0)`;

type RowsQuery = (sql: string, params: unknown[]) => Promise<Array<{ user_id: string; version: string; count: number | string }>>;

/** A reader over any query function (a pg pool in production; tests also run the same SQL on PGlite). */
export function synapseBackupReaderFrom(query: RowsQuery, close: () => Promise<void> = async () => {}): SynapseBackupReader {
  return {
    async lookup(userIds) {
      const out = new Map<string, { version: string; count: number }>();
      if (!userIds.length) return out;
      for (const row of await query(CURRENT_BACKUPS, [userIds])) out.set(row.user_id, { version: String(row.version), count: Number(row.count) });
      return out;
    },
    close,
  };
}

export function openSynapseBackupReader(url: string): SynapseBackupReader {
  const pool = new pg.Pool({ connectionString: url, max: 2, idleTimeoutMillis: 10_000, connectionTimeoutMillis: 10_000 });
  // Defence in depth on top of the read-only role: every session is read-only.
  pool.on("connect", (client) => {
    client.query("set session characteristics as transaction read only").catch(() => {});
  });
  pool.on("error", () => {
    // An idle client dropped by the server: the next query reconnects (and reports its own error).
  });
  return synapseBackupReaderFrom(async (sql, params) => (await pool.query(sql, params)).rows, () => pool.end());
}

export function describeDbError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  return `Synapse database: ${err.code ? `${err.code} ` : ""}${(err.message ?? String(e)).slice(0, 200)}`;
}

export type LoginAsOutcome = { fact: BackupFact; unavailable?: boolean };

/** What both Synapse behaviours mean when login-as meets an account that is no longer there. */
export const ACCOUNT_GONE = "the account no longer exists on the homeserver (or was deactivated since the list was read)";

/**
 * One user's backup via a short-lived login-as token. `unavailable` = login-as is not mounted here (MAS), so the
 * caller stops trying for the rest of the scan. The token is always logged out, even when the read fails.
 */
export async function backupViaLoginAs(hs: HomeserverClient, userId: string, nowMs: number): Promise<LoginAsOutcome> {
  let token: string;
  try {
    token = (await hs.users.loginAs(userId, nowMs + 60_000)).accessToken;
  } catch (e) {
    if (isHomeserverError(e, "unrecognized")) {
      return { unavailable: true, fact: { status: "unknown", source: "login_as", note: "login-as is not available on this server" } };
    }
    // Synapse 1.149+ answers 404 for an account that does not exist (synapse-versions.md §1.9).
    if (isHomeserverError(e, "not_found")) return { fact: { status: "unknown", source: "login_as", note: ACCOUNT_GONE } };
    return { fact: { status: "unknown", source: "login_as", note: `login-as failed: ${describeHomeserverError(e)}` } };
  }
  const asUser = hs.withToken(token);
  try {
    const b = await asUser.keys.roomKeysVersion();
    return {
      fact: b
        ? { status: "ok", source: "login_as", version: b.version, count: b.count }
        : { status: "missing", source: "login_as", note: "no key backup version" },
    };
  } catch (e) {
    // Before 1.149 login-as issues a token even for an account that does not exist (or was deactivated since the
    // list was read), and that token is refused: the same fact as 1.149's 404, not the admin's session ending.
    if (isHomeserverError(e, "unknown_token")) return { fact: { status: "unknown", source: "login_as", note: ACCOUNT_GONE } };
    return { fact: { status: "unknown", source: "login_as", note: `room_keys/version failed: ${describeHomeserverError(e)}` } };
  } finally {
    await asUser.auth.logout().catch(() => {
      // The token expires within a minute anyway.
    });
  }
}

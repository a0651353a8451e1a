/**
 * Which path made a posture scan (issue 17), as a note stored with the scan: Synapse's database, or the admin API
 * (with the reason the database was not used, when it is configured). Plain module: the security page reads it.
 */
export const DB_PATH_PREFIX = "Made from Synapse's database";
export const API_PATH_PREFIX = "Made through the admin API";

export function dbPathNote(schemaVersion: number, serverVersion: string): string {
  return `${DB_PATH_PREFIX} (schema version ${schemaVersion}, PostgreSQL ${serverVersion}), without homeserver requests per user.`;
}

export function apiPathNote(reason?: string): string {
  return reason ? `${API_PATH_PREFIX}: Synapse's database was not used. ${reason}` : `${API_PATH_PREFIX}.`;
}

/** The path note among a scan's notes, if any. */
export function scanPathOf(notes: readonly string[] | null | undefined): string | null {
  return notes?.find((n) => n.startsWith(DB_PATH_PREFIX) || n.startsWith(API_PATH_PREFIX)) ?? null;
}

/**
 * Login-as was asked for (POSTURE_BACKUP_LOGIN_AS) but the homeserver answered that it has none: a homeserver that
 * delegates accounts to the Matrix Authentication Service disables it (mas-api.md §0, decision 024).
 */
export const LOGIN_AS_UNAVAILABLE_NOTE =
  "Login-as is not available on this homeserver (a homeserver that delegates accounts to the Matrix Authentication Service has none), so key backup was inferred from account data.";

/** The sentence the report shows for the key-backup source of a scan. */
export function backupSourceText(source: string, notes: readonly string[] | null | undefined): string {
  if (source === "database") return "exact, read from Synapse's database.";
  if (source === "login_as") return "exact, read as each user through login-as.";
  const why = notes?.includes(LOGIN_AS_UNAVAILABLE_NOTE) ? ` ${LOGIN_AS_UNAVAILABLE_NOTE}` : "";
  return `inferred from account data read through the admin API.${why}`;
}

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

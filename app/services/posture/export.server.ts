/**
 * CSV and JSON exports of the posture table. CSV cells are neutralised against spreadsheet formula injection: a
 * cell starting with = + - @ tab or carriage return gets a leading apostrophe (OWASP's advice), then RFC 4180
 * quoting. A spreadsheet that splits on ";" (many locales) ignores the commas and the quotes mid-line, so a formula
 * right after a ";" is neutralised too.
 *
 * A well-formed Matrix user ID is left as it is (issue 14, item 24: `'@alice:server` broke the IDs for scripts). It
 * starts with "@" but cannot start a formula: the grammar (`@localpart:server_name`, localpart of a-z 0-9 . _ = - / +,
 * server name a host name, IPv4 or [IPv6] with an optional port) has no parenthesis, quote, "!", "|", space or
 * separator, so no function call, DDE or second cell. The one shape still prefixed is an ID that reads as a cell
 * range (`@a1:b2`, `@ab:cd`, `@1:2`), which a spreadsheet would evaluate to a value instead of showing the ID.
 */
import type { PostureUserRow } from "./report.server";

const FORMULA_START = /^[=+\-@\t\r]/;

/** A formula start right after a semicolon: where spreadsheets split CSV on ";" (many locales), that starts a cell. */
const FORMULA_AFTER_SEMICOLON = /;(?=[=+\-@\t\r])/g;

const MATRIX_USER_ID = /^@[a-z0-9._=\-/+]+:(?:[A-Za-z0-9.-]+|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
/** `@A1:B2`, `@AB:CD` (whole columns), `@1:2` (whole rows): references a spreadsheet would resolve. */
const RANGE_LOOKALIKE = /^@(?:[A-Za-z]{1,3}\d*:[A-Za-z]{1,3}\d*|\d+:\d+)$/;

/** True when `s` is a Matrix user ID a spreadsheet shows as text (see the top of this file). */
export function isInertMatrixId(s: string): boolean {
  return s.length <= 255 && MATRIX_USER_ID.test(s) && !RANGE_LOOKALIKE.test(s);
}

export function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? "" : value instanceof Date ? value.toISOString() : String(value);
  if (FORMULA_START.test(s) && !isInertMatrixId(s)) s = `'${s}`;
  s = s.replace(FORMULA_AFTER_SEMICOLON, ";'");
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * `category` (a word: active, bot, …) comes first, the user id second: a spreadsheet that splits on ";" reads a whole
 * line up to its first ";" as one cell, and a line starting "@alice:server,<display name>,…" is no longer a Matrix ID
 * — it could be read as a formula. A line starting with a plain word cannot.
 */
export const CSV_COLUMNS: Array<[string, (r: PostureUserRow) => unknown]> = [
  ["category", (r) => r.category],
  ["user_id", (r) => r.userId],
  ["displayname", (r) => r.displayname],
  ["fully_secured", (r) => r.fullySecured],
  ["cross_signing", (r) => r.crossSigning],
  ["recovery", (r) => r.recovery],
  ["key_backup", (r) => r.keyBackup],
  ["key_backup_source", (r) => r.backupSource],
  ["key_backup_version", (r) => r.backupVersion],
  ["key_backup_keys", (r) => r.backupKeyCount],
  ["no_unverified_sessions", (r) => r.noUnverifiedSessions],
  ["sessions", (r) => r.devices],
  ["cross_signed_sessions", (r) => r.crossSignedDevices],
  ["unverified_sessions", (r) => r.unverifiedDevices],
  ["sessions_without_keys", (r) => r.noKeyDevices],
  ["stale_sessions", (r) => r.staleDevices],
  ["notes", (r) => Object.entries(r.notes ?? {}).map(([k, v]) => `${k}: ${v}`).join("; ")],
  ["scanned_at", (r) => r.scannedAt],
];

export const csvHeader = () => CSV_COLUMNS.map(([name]) => name).join(",") + "\r\n";
export const csvLine = (r: PostureUserRow) => CSV_COLUMNS.map(([, get]) => csvCell(get(r))).join(",") + "\r\n";

export function jsonRow(r: PostureUserRow) {
  return {
    user_id: r.userId,
    displayname: r.displayname,
    category: r.category,
    checks: {
      fully_secured: r.fullySecured,
      cross_signing: r.crossSigning,
      recovery: r.recovery,
      key_backup: r.keyBackup,
      no_unverified_sessions: r.noUnverifiedSessions,
    },
    key_backup: { source: r.backupSource, version: r.backupVersion, keys: r.backupKeyCount },
    sessions: r.deviceList ?? [],
    notes: r.notes ?? {},
    scanned_at: r.scannedAt.toISOString(),
  };
}

/** A web stream of an async generator of text chunks (the export is written as it is read). */
export function textStream(chunks: AsyncGenerator<string>): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    async pull(controller) {
      const { value, done } = await chunks.next();
      if (done) controller.close();
      else controller.enqueue(enc.encode(value));
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}

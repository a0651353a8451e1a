/**
 * The grammar of every dynamic route parameter (issue 14, item 18). A route checks its parameter with these before
 * it does anything else — no session lookup, no database query, no homeserver call sees a value outside the grammar
 * (`GET /federation/%00` used to reach the embedded database, which rejects NUL, and answer 500). A value outside
 * the grammar answers 404: there can be no such page. tests/integration/route-params.test.ts holds every route
 * with a parameter to this.
 *
 * Plain module (no .server): the user page's "not a Matrix user ID" state reuses the same words.
 */

/** A Matrix server name (spec: hostname | IPv4 | [IPv6], optional :port), as in destinations and user ids. */
const SERVER_NAME = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * A Matrix user id, `@localpart:server_name`, at most 255 characters. The localpart may be historical (any
 * printable ASCII but ":"), because Steward must open the pages of old accounts too.
 */
const USER_ID = /^@([\x21-\x39\x3B-\x7E]+):(.+)$/;

/** A registration token as Synapse accepts one: 1–64 of A-Z a-z 0-9 . _ ~ -. */
const TOKEN = /^[A-Za-z0-9._~-]{1,64}$/;

/** A collector's name (registry names are lower-case words with dashes). */
const COLLECTOR = /^[a-z][a-z0-9-]{0,63}$/;

export function isServerName(s: string): boolean {
  return s.length <= 255 && SERVER_NAME.test(s);
}

export function isMatrixUserId(s: string): boolean {
  if (s.length > 255) return false;
  const m = USER_ID.exec(s);
  return Boolean(m && isServerName(m[2]));
}

/** The server part of a valid user id ("@a:example.org:8448" → "example.org:8448"). */
export function serverOfUserId(userId: string): string {
  return userId.slice(userId.indexOf(":") + 1);
}

export function isTokenName(s: string): boolean {
  return TOKEN.test(s);
}

export function isCollectorName(s: string): boolean {
  return COLLECTOR.test(s);
}

/** The parameter's value when it matches its grammar; otherwise a 404 thrown before anything else runs. */
export function checkedParam(value: string | undefined, valid: (s: string) => boolean, what: string): string {
  if (value === undefined || !valid(value)) throw new Response(`There is no such ${what}.`, { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  return value;
}

/** A bulk job's number (decision 020): a positive integer that fits a JavaScript number exactly. */
export function isJobId(s: string): boolean {
  return /^[1-9][0-9]{0,14}$/.test(s);
}

/**
 * A token's id in the Matrix Authentication Service: a ULID, 26 characters of Crockford base32 (mas-api.md §3.1).
 * MAS token pages are addressed by it, not by the token's text (MAS has no lookup by text, and the text would let
 * anyone who reads the address register).
 */
export function isMasTokenId(s: string): boolean {
  return /^[0-9A-HJKMNP-TV-Z]{26}$/.test(s);
}

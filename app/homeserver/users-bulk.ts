/**
 * The users list read in bulk (the user-counts collector pages through every account). Same endpoint, query and
 * result as `users.list()`, but with a hand-written parser: the zod schema costs ~100–200 µs per user, which is
 * 10–20 s of a 100,000-user pass. The rules are the same as users.ts's list entry (a unit test checks both agree
 * on the recorded fixtures and on random entries): booleans true/false or 0/1, optional flags default as there,
 * nullable strings, finite millisecond timestamps within Date's range; unknown keys ignored.
 */
import { isHomeserverError } from "./errors";
import type { HomeserverHttp } from "./http";
import type { ListUsersParams, UserListPage, UserSummary } from "./users";

const MAX_DATE_MS = 8.64e15;

class ShapeError extends Error {}

function fail(path: string, expected: string): never {
  throw new ShapeError(`${path}: expected ${expected}`);
}

function bool(v: unknown, path: string): boolean {
  if (v === true || v === 1) return true;
  if (v === false || v === 0) return false;
  return fail(path, "a boolean");
}

function boolOr(v: unknown, fallback: boolean, path: string): boolean {
  return v === null || v === undefined ? fallback : bool(v, path);
}

function str(v: unknown, path: string): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === "string" ? v : fail(path, "a string or null");
}

function ms(v: unknown, path: string): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== "number" || !Number.isFinite(v) || v < -MAX_DATE_MS || v > MAX_DATE_MS) return fail(path, "a timestamp in ms");
  return v;
}

function entry(u: unknown, i: number): UserSummary {
  const p = `users[${i}]`;
  if (typeof u !== "object" || u === null || Array.isArray(u)) return fail(p, "an object");
  const o = u as Record<string, unknown>;
  if (typeof o.name !== "string") return fail(`${p}.name`, "a string");
  return {
    userId: o.name,
    userType: str(o.user_type, `${p}.user_type`),
    isGuest: boolOr(o.is_guest, false, `${p}.is_guest`),
    admin: bool(o.admin, `${p}.admin`),
    deactivated: bool(o.deactivated, `${p}.deactivated`),
    shadowBanned: boolOr(o.shadow_banned, false, `${p}.shadow_banned`),
    displayname: str(o.displayname, `${p}.displayname`),
    avatarUrl: str(o.avatar_url, `${p}.avatar_url`),
    creationTs: ms(o.creation_ts, `${p}.creation_ts`),
    lastSeenTs: ms(o.last_seen_ts, `${p}.last_seen_ts`),
    erased: boolOr(o.erased, false, `${p}.erased`),
    locked: boolOr(o.locked, false, `${p}.locked`),
    approved: boolOr(o.approved, true, `${p}.approved`),
  };
}

/** Parses one page of `GET /_synapse/admin/v2|v3/users`; throws (→ HomeserverError "unexpected") on a bad shape. */
export function parseUserListPage(json: unknown, apiVersion: "v2" | "v3"): UserListPage {
  if (typeof json !== "object" || json === null) return fail("body", "an object");
  const o = json as Record<string, unknown>;
  if (!Array.isArray(o.users)) return fail("users", "an array");
  if (typeof o.total !== "number" || !Number.isFinite(o.total)) return fail("total", "a number");
  const next = o.next_token;
  let nextToken: string | undefined;
  if (typeof next === "string") nextToken = next;
  else if (typeof next === "number" && Number.isFinite(next)) nextToken = String(next);
  else if (next !== null && next !== undefined) return fail("next_token", "a string or number");
  return { users: o.users.map(entry), total: o.total, ...(nextToken !== undefined ? { nextToken } : {}), apiVersion };
}

export type BulkListParams = Pick<ListUsersParams, "guests" | "locked" | "orderBy" | "dir">;

/**
 * One page of every account matching `p` (no `deactivated` filter: deactivated accounts included): v3, or v2 with
 * `deactivated=true` on servers before 1.103 (learned once, like users.list()).
 */
export function bulkUserPages(http: HomeserverHttp) {
  let v3Missing = false;
  return async (p: BulkListParams, from: string | number, limit: number): Promise<UserListPage> => {
    const query = { from, limit, guests: p.guests ?? false, locked: p.locked, order_by: p.orderBy, dir: p.dir };
    if (!v3Missing) {
      try {
        return await http.get("/_synapse/admin/v3/users", { query, parse: (j: unknown) => parseUserListPage(j, "v3") });
      } catch (e) {
        if (!isHomeserverError(e, "unrecognized")) throw e;
        v3Missing = true;
      }
    }
    return http.get("/_synapse/admin/v2/users", { query: { ...query, deactivated: true }, parse: (j: unknown) => parseUserListPage(j, "v2") });
  };
}

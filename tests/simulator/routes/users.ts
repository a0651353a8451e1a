// Admin user APIs (reference §2, users.json): the v2/v3 lists, query user, is-admin, account data,
// username_available. Field sets and orders follow the recorded responses.
import { errors } from "../errors";
import {
  likeMatcher,
  paginate,
  parseBoolean,
  parseChoice,
  parseDirection,
  parseInteger,
  parseString,
  pgCompare,
  requireString,
} from "../params";
import type { RouteContext, Router } from "../router";
import { checkUsername, parseUserId, type SimState, type SimUser } from "../state";

/** In the order Synapse prints them in the 400 message. */
export const USER_ORDER_BY = [
  "name", "displayname", "is_guest", "admin", "deactivated", "user_type", "avatar_url", "shadow_banned",
  "creation_ts", "last_seen_ts", "locked",
] as const;
export type UserOrderBy = (typeof USER_ORDER_BY)[number];

export function register(router: Router): void {
  router.add({ method: "GET", path: "/_synapse/admin/v2/users", auth: "admin", handler: (ctx) => listUsers(ctx, 2) });
  router.add({
    method: "GET",
    path: "/_synapse/admin/v3/users",
    auth: "admin",
    handler: (ctx) => {
      // v3 arrived in 1.103: older servers answer like any unknown admin path.
      if (!versionAtLeast(ctx.state.version, 1, 103)) throw errors.unrecognized();
      return listUsers(ctx, 3);
    },
  });
  router.add({ method: "GET", path: "/_synapse/admin/v2/users/:userId", auth: "admin", handler: queryUser });
  router.add({
    method: "GET",
    path: "/_synapse/admin/v1/users/:userId/admin",
    auth: "admin",
    unmountedUnderMas: true,
    handler: (ctx) => {
      const { domain } = parseUserId(ctx.params.userId);
      if (domain !== ctx.state.serverName) throw errors.unknown("Only local users can be admins of this homeserver");
      // Unknown local users are simply "not admin" (recorded: 200, not 404).
      return { admin: ctx.state.users.get(ctx.params.userId)?.admin ?? false };
    },
  });
  router.add({
    method: "GET",
    path: "/_synapse/admin/v1/users/:userId/accountdata",
    auth: "admin",
    handler: (ctx) => {
      const user = localUser(ctx.state, ctx.params.userId, "Can only look up local users", "User not found");
      const ad = ctx.state.accountData.get(user.name);
      // Account data deleted to {} is left out, like Synapse's get_global_account_data_for_user.
      const nonEmpty = (m: Record<string, Record<string, unknown>>) =>
        Object.fromEntries(Object.entries(m).filter(([, v]) => Object.keys(v).length > 0));
      const rooms = Object.fromEntries(
        Object.entries(ad?.rooms ?? {})
          .map(([room, m]) => [room, nonEmpty(m)] as const)
          .filter(([, m]) => Object.keys(m).length > 0),
      );
      return { account_data: { global: nonEmpty(ad?.global ?? {}), rooms } };
    },
  });
  router.add({
    method: "GET",
    path: "/_synapse/admin/v1/username_available",
    auth: "admin",
    handler: (ctx) => {
      checkUsername(ctx.state, requireString(ctx.query, "username"));
      return { available: true };
    },
  });
}

/** A local, existing user or the endpoint's 400 (remote) / 404 (unknown). */
export function localUser(state: SimState, userId: string, remoteMsg: string, notFoundMsg: string): SimUser {
  const { domain } = parseUserId(userId);
  if (domain !== state.serverName) throw errors.unknown(remoteMsg);
  const user = state.users.get(userId);
  if (!user) throw errors.notFound(notFoundMsg);
  return user;
}

function listUsers(ctx: RouteContext, version: 2 | 3): unknown {
  const q = ctx.query;
  // Parsed in Synapse's order so the first invalid parameter is the one reported.
  const from = parseInteger(q, "from", 0);
  const limit = parseInteger(q, "limit", 100);
  const userId = parseString(q, "user_id");
  const name = parseString(q, "name");
  const guests = parseBoolean(q, "guests", true);
  if (ctx.sim.options.mas && guests) {
    throw errors.invalidParam(
      versionAtLeast(ctx.state.version, 1, 157)
        ? "The guests parameter is not supported when delegating to MAS."
        : "The guests parameter is not supported when MSC3861 is enabled.",
    );
  }
  // v2: true includes deactivated, otherwise excluded. v3: true only, false none, absent no filter.
  const deactivated = version === 2 ? parseBoolean(q, "deactivated", false) : parseBoolean(q, "deactivated");
  const admins = parseBoolean(q, "admins");
  const locked = parseBoolean(q, "locked", false);
  const notUserTypes = q.getAll("not_user_type");
  const orderBy = parseChoice<UserOrderBy>(q, "order_by", USER_ORDER_BY, "name");
  const dir = parseDirection(q);

  const nameLike = name ? likeMatcher(name) : undefined;
  const displayLike = name ? likeMatcher(name.toLowerCase()) : undefined;
  const idLike = !name && userId ? likeMatcher(userId) : undefined;

  // Ordered by name (what paging clients use) the order is cached: sorting every user for every page made a scan
  // of 100,000 users quadratic in the simulator. Other orders sort per request, as before.
  const source = orderBy === "name" ? usersByName(ctx.state, dir === "b") : [...ctx.state.users.values()];
  const matching = source.filter((u) => {
    if (nameLike && !(nameLike(u.name) || (u.displayname !== null && displayLike!(u.displayname.toLowerCase())))) {
      return false;
    }
    if (idLike && !idLike(u.name)) return false;
    if (!guests && u.is_guest) return false;
    if (version === 2 ? !deactivated && u.deactivated : deactivated !== undefined && u.deactivated !== deactivated) {
      return false;
    }
    if (admins !== undefined && u.admin !== admins) return false;
    if (!locked && u.locked) return false;
    // "" stands for "no type": not_user_type=bot&not_user_type= leaves only custom types.
    if (notUserTypes.length > 0 && notUserTypes.includes(u.user_type ?? "")) return false;
    return true;
  });

  const desc = dir === "b";
  if (orderBy !== "name") {
    matching.sort((a, b) => {
      // Ties break on name ascending whatever the direction (Synapse appends `name ASC`).
      const r =
        orderBy === "last_seen_ts"
          ? pgCompare(listLastSeen(ctx.state, a), listLastSeen(ctx.state, b), desc)
          : pgCompare(a[orderBy], b[orderBy], desc);
      return r !== 0 ? r : pgCompare(a.name, b.name, false);
    });
  }

  const { page, total, next_token } = paginate(matching, from, limit);
  const asInts = version === 2 && ctx.sim.options.booleansAsInts;
  return {
    users: page.map((u) => listEntry(u, asInts, ctx.state.version, listLastSeen(ctx.state, u))),
    total,
    ...(next_token !== undefined ? { next_token } : {}),
  };
}

const nameOrder = new WeakMap<SimState, { size: number; asc: SimUser[]; desc: SimUser[] }>();

/**
 * Every user ordered by name. Users are only ever added (Synapse never deletes a user row), and names never
 * change, so the cached order is valid while the count is unchanged. The entries are the live user objects.
 * A few new users (an account registered between two pages of a scan) are put in their places rather than every
 * user sorted again: Synapse reads the order from an index, and a full sort of 100,000 users (~0.6 s here) made the
 * first page after a registration take as long as a scan's other nineteen.
 */
function usersByName(state: SimState, desc: boolean): SimUser[] {
  let cached = nameOrder.get(state);
  if (!cached || cached.size !== state.users.size) {
    const added = state.users.size - (cached?.size ?? 0);
    let asc: SimUser[];
    if (cached && added > 0 && added <= 1000) {
      // A Map iterates in insertion order: the new users are its last `added` entries.
      asc = cached.asc.slice();
      const all = [...state.users.values()];
      for (const u of all.slice(all.length - added)) asc.splice(insertionPoint(asc, u.name), 0, u);
    } else asc = [...state.users.values()].sort((a, b) => pgCompare(a.name, b.name, false));
    cached = { size: state.users.size, asc, desc: [...asc].reverse() };
    nameOrder.set(state, cached);
  }
  return desc ? cached.desc : cached.asc;
}

/** Where `name` goes in `sorted` (ascending by name, as PostgreSQL compares them): after any equal name. */
function insertionPoint(sorted: SimUser[], name: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pgCompare(sorted[mid].name, name, false) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The list's last_seen_ts: MAX(user_ips.last_seen) until 1.140; from 1.140 COALESCE(MAX(devices.last_seen),
 * MAX(user_ips.last_seen)) (synapse-versions.md §1.1, #18948). The single-user GET keeps user_ips only.
 */
export function listLastSeen(state: SimState, u: SimUser): number | null {
  if (!versionAtLeast(state.version, 1, 140)) return u.last_seen_ts;
  let max: number | null = null;
  for (const d of state.devices.get(u.name)?.values() ?? []) {
    if (d.last_seen_ts !== null && (max === null || d.last_seen_ts > max)) max = d.last_seen_ts;
  }
  return max ?? u.last_seen_ts;
}

/** "1.132.0" → is it at least major.minor? Unparsable versions count as current. */
export function versionAtLeast(version: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) return true;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

/**
 * Exactly the fields (and order) the list returns: `approved` yes, `suspended` no; creation_ts in ms. Fields
 * newer than the configured version are left out, as the older Synapse did (reference §2: creation_ts 1.40,
 * erased 1.71, last_seen_ts 1.92, locked 1.93).
 */
function listEntry(u: SimUser, asInts: boolean, version: string, lastSeen: number | null): Record<string, unknown> {
  // Old Synapse on SQLite returned raw 0/1 columns; it converted only `erased` to a boolean.
  const b = (v: boolean) => (asInts ? (v ? 1 : 0) : v);
  const entry = {
    name: u.name,
    user_type: u.user_type,
    is_guest: b(u.is_guest),
    admin: b(u.admin),
    deactivated: b(u.deactivated),
    shadow_banned: b(u.shadow_banned),
    displayname: u.displayname,
    avatar_url: u.avatar_url,
    creation_ts: u.creation_ts,
    approved: b(u.approved),
    erased: u.erased,
    last_seen_ts: lastSeen,
    locked: b(u.locked),
  } as Record<string, unknown>;
  const since: Array<[string, number]> = [["creation_ts", 40], ["erased", 71], ["last_seen_ts", 92], ["locked", 93]];
  for (const [field, minor] of since) if (!versionAtLeast(version, 1, minor)) delete entry[field];
  return entry;
}

/** The single-user GET: creation_ts in SECONDS, `suspended`/threepids/external_ids/consent, no `approved`. */
function queryUser(ctx: RouteContext): unknown {
  return queryUserJson(localUser(ctx.state, ctx.params.userId, "Can only look up local users", "User not found"));
}

/** The single-user shape, also what PUT v2 users answers with. */
export function queryUserJson(u: SimUser): Record<string, unknown> {
  return {
    name: u.name,
    admin: u.admin,
    deactivated: u.deactivated,
    locked: u.locked,
    shadow_banned: u.shadow_banned,
    creation_ts: Math.floor(u.creation_ts / 1000),
    appservice_id: u.appservice_id,
    consent_server_notice_sent: u.consent_server_notice_sent,
    consent_version: u.consent_version,
    consent_ts: u.consent_ts,
    user_type: u.user_type,
    is_guest: u.is_guest,
    suspended: u.suspended,
    displayname: u.displayname,
    avatar_url: u.avatar_url,
    threepids: u.threepids.map((t) => ({ ...t })),
    external_ids: u.external_ids.map((e) => ({ ...e })),
    erased: u.erased,
    last_seen_ts: u.last_seen_ts,
  };
}

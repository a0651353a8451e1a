/** User admin APIs (reference §2): list (v3, v2 fallback), query, is-admin, whois, availability, login-as. */
import { z } from "zod";
import { HomeserverError, isHomeserverError } from "./errors";
import type { HomeserverHttp } from "./http";
import { bool, boolOr, finiteNumber, msTimestamp, nextToken, nullableString, secondsTimestampAsMs, withFastPath } from "./parse";
import { parseUserListPage } from "./users-bulk";
import { pages, type PagingOptions } from "./paging";

export type UserOrderBy =
  | "name"
  | "is_guest"
  | "admin"
  | "user_type"
  | "deactivated"
  | "shadow_banned"
  | "displayname"
  | "avatar_url"
  | "creation_ts"
  | "last_seen_ts"
  | "locked";

export interface ListUsersParams {
  from?: number | string;
  limit?: number;
  /** MXID substring; ignored by the server when `name` is given. */
  userId?: string;
  /** Localpart or displayname substring. */
  name?: string;
  /** Default false here (Synapse defaults to true, which MAS-delegated servers reject). */
  guests?: boolean;
  /** true = only admins, false = no admins, undefined = both (1.91+). */
  admins?: boolean;
  /** v3: true = only deactivated, false = exclude them, undefined = no filter. */
  deactivated?: boolean;
  /** Synapse's default (false) HIDES locked users; pass true to include them (1.93+). */
  locked?: boolean;
  /** Exclude these user types; "" excludes users without a type (1.88+). */
  notUserType?: string[];
  orderBy?: UserOrderBy;
  dir?: "f" | "b";
}

/** v2 semantics differ only for `deactivated`: true INCLUDES deactivated users, otherwise they are excluded. */
export type ListUsersV2Params = ListUsersParams;

export interface UserSummary {
  userId: string;
  userType: string | null;
  isGuest: boolean;
  admin: boolean;
  deactivated: boolean;
  shadowBanned: boolean;
  displayname: string | null;
  avatarUrl: string | null;
  /** ms (the list sends ms). Null on servers older than 1.40. */
  creationTs: number | null;
  /** ms; null if never seen with an access token (1.92+). */
  lastSeenTs: number | null;
  erased: boolean;
  locked: boolean;
  approved: boolean;
}

export interface UserListPage {
  users: UserSummary[];
  total: number;
  nextToken?: string;
  /** Which API answered (v3 since 1.103; v2 on older servers). */
  apiVersion: "v2" | "v3";
}

export interface UserDetails extends Omit<UserSummary, "approved"> {
  suspended: boolean;
  appserviceId: string | null;
  threepids: Array<{ medium: string; address: string; addedAt: number | null; validatedAt: number | null }>;
  externalIds: Array<{ authProvider: string; externalId: string }>;
  consentVersion: string | null;
  /** ms */
  consentTs: number | null;
  consentServerNoticeSent: string | null;
}

export interface WhoisConnection {
  ip: string | null;
  /** ms */
  lastSeen: number | null;
  userAgent: string | null;
}

export interface WhoisResult {
  userId: string;
  /** All connections, flattened. Synapse puts every connection under the device key "". */
  connections: WhoisConnection[];
}

export type UsernameAvailability =
  | { available: true }
  | { available: false; reason: "in_use" | "invalid_username" | "exclusive"; serverMessage: string | null };

/** Fields shared by the list entries and the single-user GET (all but the creation_ts unit). */
const commonFields = {
  name: z.string(),
  user_type: nullableString,
  is_guest: boolOr(false),
  admin: bool,
  deactivated: bool,
  shadow_banned: boolOr(false),
  displayname: nullableString,
  avatar_url: nullableString,
  last_seen_ts: msTimestamp,
  erased: boolOr(false),
  locked: boolOr(false),
};

type Common = z.output<z.ZodObject<typeof commonFields>>;

function common(u: Common, creationTs: number | null): Omit<UserSummary, "approved"> {
  return {
    userId: u.name,
    userType: u.user_type,
    isGuest: u.is_guest,
    admin: u.admin,
    deactivated: u.deactivated,
    shadowBanned: u.shadow_banned,
    displayname: u.displayname,
    avatarUrl: u.avatar_url,
    creationTs,
    lastSeenTs: u.last_seen_ts,
    erased: u.erased,
    locked: u.locked,
  };
}

const listEntry = z
  .object({ ...commonFields, creation_ts: msTimestamp, approved: boolOr(true) })
  .transform((u): UserSummary => ({ ...common(u, u.creation_ts), approved: u.approved }));

const listSchema = (apiVersion: "v2" | "v3") =>
  z
    .object({ users: z.array(listEntry), total: finiteNumber, next_token: nextToken })
    .transform(
      (r): UserListPage => ({
        users: r.users,
        total: r.total,
        ...(r.next_token !== undefined ? { nextToken: r.next_token } : {}),
        apiVersion,
      }),
    );

// The list through users-bulk.ts's hand-written parser (a posture scan and the user-counts collector read every user
// through it; zod was ~10 ms of the thread per 200-user page). Where it finds anything unusual, zod decides and words
// the error, so the result is always zod's (tests/unit/user-counts-bulk.test.ts holds the two equal).
function fastList(json: unknown, apiVersion: "v2" | "v3"): UserListPage | null {
  try {
    return parseUserListPage(json, apiVersion);
  } catch {
    return null;
  }
}

const parseList = (apiVersion: "v2" | "v3") => withFastPath(listSchema(apiVersion), (json) => fastList(json, apiVersion));
const parseListV2 = parseList("v2");
const parseListV3 = parseList("v3");
export { listSchema as userListSchema, fastList as fastUserList };

export const userDetailsSchema = z
  .object({
    ...commonFields,
    creation_ts: secondsTimestampAsMs, // SECONDS on this endpoint only
    suspended: boolOr(false),
    appservice_id: nullableString,
    threepids: z
      .array(z.object({ medium: z.string(), address: z.string(), added_at: msTimestamp, validated_at: msTimestamp }))
      .nullish(),
    external_ids: z.array(z.object({ auth_provider: z.string(), external_id: z.string() })).nullish(),
    consent_version: nullableString,
    consent_ts: msTimestamp,
    consent_server_notice_sent: nullableString,
  })
  .transform(
    (u): UserDetails => ({
      ...common(u, u.creation_ts),
      suspended: u.suspended,
      appserviceId: u.appservice_id,
      threepids: (u.threepids ?? []).map((t) => ({
        medium: t.medium,
        address: t.address,
        addedAt: t.added_at,
        validatedAt: t.validated_at,
      })),
      externalIds: (u.external_ids ?? []).map((x) => ({ authProvider: x.auth_provider, externalId: x.external_id })),
      consentVersion: u.consent_version,
      consentTs: u.consent_ts,
      consentServerNoticeSent: u.consent_server_notice_sent,
    }),
  );

const connectionSchema = z.object({
  ip: nullableString,
  last_seen: msTimestamp,
  user_agent: nullableString,
});

const whoisSchema = z
  .object({
    user_id: z.string(),
    devices: z.record(
      z.object({ sessions: z.array(z.object({ connections: z.array(connectionSchema).nullish() })).nullish() }),
    ),
  })
  .transform(
    (r): WhoisResult => ({
      userId: r.user_id,
      connections: Object.values(r.devices).flatMap((d) =>
        (d.sessions ?? []).flatMap((s) =>
          (s.connections ?? []).map((c) => ({ ip: c.ip, lastSeen: c.last_seen, userAgent: c.user_agent })),
        ),
      ),
    }),
  );

function listQuery(p: ListUsersParams, deactivated: boolean | undefined) {
  return {
    from: p.from,
    limit: p.limit,
    user_id: p.userId,
    name: p.name,
    guests: p.guests ?? false,
    admins: p.admins,
    deactivated,
    locked: p.locked,
    not_user_type: p.notUserType,
    order_by: p.orderBy,
    dir: p.dir,
  };
}

/** Turn the 400 answers of the availability endpoints into a typed result; other errors propagate. */
export async function availability(call: () => Promise<unknown>): Promise<UsernameAvailability> {
  try {
    await call();
    return { available: true };
  } catch (e) {
    if (isHomeserverError(e, "user_in_use")) return { available: false, reason: "in_use", serverMessage: e.serverMessage };
    if (isHomeserverError(e, "invalid_username")) {
      return { available: false, reason: "invalid_username", serverMessage: e.serverMessage };
    }
    if (isHomeserverError(e, "bad_request") && e.errcode === "M_EXCLUSIVE") {
      return { available: false, reason: "exclusive", serverMessage: e.serverMessage };
    }
    throw e;
  }
}

export const availableSchema = z.object({ available: bool });

export function usersApi(http: HomeserverHttp) {
  // Learned once per client: a server without v3 (before 1.103) answers 404 M_UNRECOGNIZED.
  let v3Missing = false;

  const listV3 = (p: ListUsersParams) =>
    http.get("/_synapse/admin/v3/users", { query: listQuery(p, p.deactivated), parse: parseListV3 });

  const listV2 = (p: ListUsersV2Params = {}) =>
    http.get("/_synapse/admin/v2/users", { query: listQuery(p, p.deactivated), parse: parseListV2 });

  /**
   * v3 list, falling back to v2 on servers without v3. The v3 `deactivated` filter is translated for v2
   * (absent → include, false → v2 default); "only deactivated" cannot be expressed in v2 and rethrows.
   */
  async function list(p: ListUsersParams = {}): Promise<UserListPage> {
    if (!v3Missing) {
      try {
        return await listV3(p);
      } catch (e) {
        if (!isHomeserverError(e, "unrecognized")) throw e;
        v3Missing = true;
        if (p.deactivated === true) throw e;
      }
    }
    if (p.deactivated === true) {
      throw new HomeserverError({
        kind: "unrecognized",
        method: "GET",
        endpoint: "/_synapse/admin/v3/users",
        origin: new URL(http.baseUrl).origin,
        detail: "deactivated=true needs the v3 API",
      });
    }
    return listV2({ ...p, deactivated: p.deactivated === undefined ? true : undefined });
  }

  return {
    list,
    listV2,

    /** Every page of the list, following next_token safely (see paging.ts). */
    iterateAll(p: Omit<ListUsersParams, "from" | "limit"> = {}, opts: PagingOptions = {}): AsyncGenerator<UserListPage> {
      return pages((from, limit) => list({ ...p, from, limit }), (page) => page.users, opts);
    },

    /** Number of accounts matching the filters (limit=1, read total). All accounts: `{ locked: true }`. */
    async count(p: Omit<ListUsersParams, "from" | "limit" | "orderBy" | "dir"> = {}): Promise<number> {
      return (await list({ ...p, limit: 1 })).total;
    },

    /** GET /_synapse/admin/v2/users/{userId}. 404 not_found for unknown local users; 400 for remote ones. */
    get(userId: string): Promise<UserDetails> {
      return http.get("/_synapse/admin/v2/users/{userId}", { params: { userId }, parse: userDetailsSchema });
    },

    /** GET /_synapse/admin/v1/users/{userId}/admin. Unknown local users answer false (200). Not under MAS. */
    async isAdmin(userId: string): Promise<boolean> {
      const r = await http.get("/_synapse/admin/v1/users/{userId}/admin", {
        params: { userId },
        parse: z.object({ admin: bool }),
      });
      return r.admin;
    },

    /**
     * Whois via the admin path; if a proxy does not forward /_synapse/admin, the client-API twin answers the same.
     * Unknown local users answer 200 with no connections.
     */
    async whois(userId: string): Promise<WhoisResult> {
      try {
        return await http.get("/_synapse/admin/v1/whois/{userId}", { params: { userId }, parse: whoisSchema });
      } catch (e) {
        if (!isHomeserverError(e, ["unrecognized", "not_matrix"])) throw e;
        return http.get("/_matrix/client/v3/admin/whois/{userId}", { params: { userId }, parse: whoisSchema });
      }
    },

    /** GET /_synapse/admin/v1/username_available (works with registration off). */
    usernameAvailable(username: string): Promise<UsernameAvailability> {
      return availability(() =>
        http.get("/_synapse/admin/v1/username_available", { query: { username }, parse: availableSchema }),
      );
    },

    /**
     * POST /_synapse/admin/v1/users/{userId}/login → a token acting as that user (no device is created).
     * Impersonation: callers must audit-log it and revoke with logout. Not under MAS; 400 for yourself.
     */
    async loginAs(userId: string, validUntilMs?: number): Promise<{ accessToken: string }> {
      const r = await http.post("/_synapse/admin/v1/users/{userId}/login", {
        params: { userId },
        body: validUntilMs === undefined ? {} : { valid_until_ms: validUntilMs },
        parse: z.object({ access_token: z.string() }),
      });
      return { accessToken: r.access_token };
    },
  };
}

export type UsersApi = ReturnType<typeof usersApi>;

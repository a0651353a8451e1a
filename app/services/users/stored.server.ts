/**
 * Steward's copy of the homeserver's user list (`homeserver_users`): written by the user-counts collector,
 * read by the users page so it stays fast (and works while the homeserver is down).
 *
 * Writes go through `unnest()` of one array per column: one statement (and 15 parameters) per page of users,
 * whatever its size, instead of 15 parameters per user.
 */
import { and, asc, count as count_, desc, eq, isNull, sql, type SQL } from "drizzle-orm";
import type { CountMemo } from "../lists/count-memo.server";
import type { Database, Db } from "../../../db/client";
import { homeserverUsers, type StoredUser } from "../../../db/schema";
import type { UserSummary } from "../../homeserver";
import type { UserFilter, UserSort } from "./filters";
import { pageAndTotal } from "../lists/page-total.server";

/** PostgreSQL text cannot hold NUL; homeserver text is untrusted and may contain it. */
export function pgSafeText(s: string | null): string | null {
  return s === null ? null : s.includes("\u0000") ? s.replace(/\u0000/g, "") : s;
}

/** What the users page searches: the user id and the display name, lower-cased, newline-separated. */
export function searchTextOf(userId: string, displayname: string | null): string {
  return pgSafeText(`${userId}\n${displayname ?? ""}`.toLowerCase())!;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Upserts one page of users. A stored row that has not changed is not written again (issue 18's "Refresh now" at
 * 100,000 users: rewriting every row, with its search-index entries, was most of a collection's time; a later run
 * changes a few last-seen times). `run_id` is the run that last wrote the row.
 */
export async function upsertUsers(db: Db, users: readonly UserSummary[], runId: number): Promise<void> {
  if (!users.length) return;
  const col = <T>(f: (u: UserSummary) => T) => sql.param(users.map(f));
  await db.execute(sql`
    insert into homeserver_users (user_id, displayname, avatar_url, admin, is_guest, user_type, deactivated, locked,
      shadow_banned, erased, approved, creation_ts, last_seen_ts, search_text, run_id)
    select u.*, ${runId}::bigint from unnest(
      ${col((u) => pgSafeText(u.userId))}::text[], ${col((u) => pgSafeText(u.displayname))}::text[],
      ${col((u) => pgSafeText(u.avatarUrl))}::text[], ${col((u) => u.admin)}::boolean[], ${col((u) => u.isGuest)}::boolean[],
      ${col((u) => pgSafeText(u.userType))}::text[], ${col((u) => u.deactivated)}::boolean[], ${col((u) => u.locked)}::boolean[],
      ${col((u) => u.shadowBanned)}::boolean[], ${col((u) => u.erased)}::boolean[], ${col((u) => u.approved)}::boolean[],
      ${col((u) => iso(u.creationTs))}::timestamptz[], ${col((u) => iso(u.lastSeenTs))}::timestamptz[],
      ${col((u) => searchTextOf(u.userId, u.displayname))}::text[]
    ) as u
    on conflict (user_id) do update set
      displayname = excluded.displayname, avatar_url = excluded.avatar_url, admin = excluded.admin,
      is_guest = excluded.is_guest, user_type = excluded.user_type, deactivated = excluded.deactivated,
      locked = excluded.locked, shadow_banned = excluded.shadow_banned, erased = excluded.erased,
      approved = excluded.approved, creation_ts = excluded.creation_ts, last_seen_ts = excluded.last_seen_ts,
      search_text = excluded.search_text, run_id = excluded.run_id
    where (homeserver_users.displayname, homeserver_users.avatar_url, homeserver_users.admin, homeserver_users.is_guest,
      homeserver_users.user_type, homeserver_users.deactivated, homeserver_users.locked, homeserver_users.shadow_banned,
      homeserver_users.erased, homeserver_users.approved, homeserver_users.creation_ts, homeserver_users.last_seen_ts,
      homeserver_users.search_text)
      is distinct from (excluded.displayname, excluded.avatar_url, excluded.admin, excluded.is_guest, excluded.user_type,
      excluded.deactivated, excluded.locked, excluded.shadow_banned, excluded.erased, excluded.approved,
      excluded.creation_ts, excluded.last_seen_ts, excluded.search_text)
  `);
}

/**
 * Removes the stored users a complete pass did not see (the server no longer lists them). Only call it after a pass
 * that read every page: an interrupted pass would otherwise delete the users it did not reach. The pass's user ids
 * are the list of who stays: unchanged rows are not written (upsertUsers), so no stamp on them tells.
 */
export async function removeUsersNotIn(db: Db, seen: Iterable<string>): Promise<number> {
  const ids = sql.param([...seen].map((id) => pgSafeText(id)));
  const gone = await db.execute(sql`
    delete from homeserver_users h
    where not exists (select 1 from unnest(${ids}::text[]) as s(id) where s.id = h.user_id)
    returning h.user_id
  `);
  return (gone as unknown as { rows: unknown[] }).rows.length;
}

// ------------------------------------------------------------------ the users page

export { USER_FILTERS, USER_SORTS, type UserFilter, type UserSort } from "./filters";

export interface UserListQuery {
  search?: string;
  filter: UserFilter;
  /** Days for "active" (seen within) and "inactive" (not seen for more than). */
  days: number;
  sort: UserSort;
  dir: "asc" | "desc";
  page: number;
  pageSize: number;
}

export interface UserListResult {
  rows: StoredUser[];
  total: number;
  page: number;
  pageSize: number;
  /** 0 when no user is stored at all (so the page can tell "no match" from "not collected yet"). */
  stored: number;
}

/** `%` and `_` in a search term are literal, not wildcards. */
export function likeEscape(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The users page's filter as a condition (also the bulk deactivation's list, decision 020). */
export function filterCondition(q: Pick<UserListQuery, "filter" | "days">, now: Date): SQL | undefined {
  const u = homeserverUsers;
  const cutoff = sql`${new Date(now.getTime() - q.days * 86_400_000).toISOString()}::timestamptz`;
  switch (q.filter) {
    case "all":
      return undefined;
    case "active":
      return and(eq(u.deactivated, false), sql`${u.lastSeenTs} >= ${cutoff}`);
    case "inactive":
      // Not seen for more than N days, never-seen accounts included (they are the most inactive of all).
      return and(eq(u.deactivated, false), sql`(${u.lastSeenTs} < ${cutoff} or ${u.lastSeenTs} is null)`);
    case "never_seen":
      return and(eq(u.deactivated, false), isNull(u.lastSeenTs));
    case "deactivated":
      return eq(u.deactivated, true);
    case "locked":
      return eq(u.locked, true);
    case "admins":
      return eq(u.admin, true);
    case "bots":
      return eq(u.userType, "bot");
  }
}

/** `kind` decides how the page and its count are run, not what they answer (lists/page-total.server.ts). */
export async function listStoredUsers(db: Db, q: UserListQuery, now: Date, kind: Database["kind"], counts?: CountMemo): Promise<UserListResult> {
  const u = homeserverUsers;
  const conditions: SQL[] = [];
  const term = q.search?.trim().toLowerCase();
  if (term) conditions.push(sql`${u.searchText} like ${`%${likeEscape(term)}%`}`);
  const f = filterCondition(q, now);
  if (f) conditions.push(f);
  const where = conditions.length ? and(...conditions) : undefined;
  const direction = q.dir === "desc" ? desc : asc;
  const order =
    q.sort === "created"
      ? [sql`${u.creationTs} ${sql.raw(q.dir)} nulls last`, asc(u.userId)]
      : q.sort === "last_seen"
        ? [sql`${u.lastSeenTs} ${sql.raw(q.dir)} nulls last`, asc(u.userId)]
        : term
          ? // With a search term, matches are few and scattered: walking the primary key in order to find 50 of
            // them can touch every row. An expression the index cannot serve makes the planner scan, filter,
            // then sort only the matches.
            [sql`(${u.userId} || '') collate "C" ${sql.raw(q.dir)}`]
          : [direction(u.userId)];
  const offset = (q.page - 1) * q.pageSize;
  const countQuery = db.select({ total: count_() }).from(u).where(where);
  const runCount = () => countQuery.then(([r]) => Number(r.total));
  // Kept until the stored users change (lists/count-memo.server.ts): counting 100,000 rows is most of the page's time.
  const count = counts ? () => counts.get(`users\n${JSON.stringify(countQuery.toSQL())}`, ["homeserver_users"], runCount) : runCount;
  const page = () => db.select().from(u).where(where).orderBy(...order).limit(q.pageSize).offset(offset);
  // A separate count, not a window count in the page's query: that would cost less for a few thousand matches,
  // but spills to disk for broad terms.
  const [{ rows, total: matched }, anyStored] = await Promise.all([
    pageAndTotal(kind, { offset, pageSize: q.pageSize }, page, count),
    // Whether anything is stored at all: a one-row probe, not a count of every row.
    where ? db.select({ one: sql<number>`1` }).from(u).limit(1) : Promise.resolve([{ one: 1 }]),
  ]);
  return { rows, total: matched, page: q.page, pageSize: q.pageSize, stored: anyStored.length ? Math.max(matched, 1) : 0 };
}

export async function getStoredUser(db: Db, userId: string): Promise<StoredUser | null> {
  const [row] = await db.select().from(homeserverUsers).where(eq(homeserverUsers.userId, userId)).limit(1);
  return row ?? null;
}

export async function storedUserCount(db: Db): Promise<number> {
  const [{ n }] = await db.select({ n: count_() }).from(homeserverUsers);
  return Number(n);
}

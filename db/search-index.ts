/**
 * The users list's substring search (`search_text LIKE '%term%'`) answered from a trigram index (decision 027).
 *
 * Without it every search reads all stored users: ~20 ms a search at 100,000 users on PostgreSQL and 60–120 ms on
 * PGlite. A GIN index over pg_trgm's trigrams finds the matching rows of a term of three characters or more in a few
 * milliseconds; shorter terms the planner still answers by a scan.
 *
 * It is not a migration: pg_trgm is a contrib extension, which a PostgreSQL server may not have installed or may not
 * let Steward's role create (it is "trusted" since PostgreSQL 13: a database owner may). Steward must start either
 * way, so the extension and the index are made after the migrations, and a refusal only means searches scan, as
 * before; the query itself does not change. PGlite loads the extension's files in every process that opens the
 * database (db/pglite-extensions.ts).
 */
import { sql } from "drizzle-orm";
import type { Db } from "./client";

export type SearchIndexState = { ready: true } | { ready: false; reason: string };

export const USERS_SEARCH_INDEX = "homeserver_users_search_trgm";
/** Replicas starting together make the extension and index one at a time (lock held until the commit). */
const LOCK_KEY = 0x5374_7267; // "Strg"

export async function ensureSearchIndex(db: Db): Promise<SearchIndexState> {
  try {
    await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_KEY})`);
      await tx.execute(sql`create extension if not exists pg_trgm`);
      await tx.execute(sql.raw(`create index if not exists ${USERS_SEARCH_INDEX} on homeserver_users using gin (search_text gin_trgm_ops)`));
    });
    return { ready: true };
  } catch (e) {
    // drizzle wraps the database's error; PostgreSQL's own words are in `cause`.
    const err = e as Error & { cause?: Error };
    return { ready: false, reason: (err.cause ?? err).message };
  }
}

/**
 * After a collection rewrote the stored users: the index's pending entries (GIN's fast-update list, which every
 * search reads through linearly until it is merged) are merged in one pass, ~25 ms at 100,000 users; PostgreSQL's
 * autovacuum would do it some time later, PGlite has no autovacuum at all. On PGlite the table's statistics are
 * refreshed too, for the same reason: without them the planner goes on guessing from the first, empty table.
 * Nothing here is needed for correctness, so a failure (no index: pg_trgm was refused) is only reported.
 */
export async function tidyAfterUsersRewrite(db: Db, embedded: boolean): Promise<string | null> {
  try {
    const exists = (await db.execute(sql`select 1 from pg_class where relname = ${USERS_SEARCH_INDEX} and relkind = 'i'`)) as unknown as { rows: unknown[] };
    if (exists.rows.length) await db.execute(sql.raw(`select gin_clean_pending_list('${USERS_SEARCH_INDEX}'::regclass)`));
    if (embedded) await db.execute(sql`analyze homeserver_users`);
    return null;
  } catch (e) {
    const err = e as Error & { cause?: Error };
    return (err.cause ?? err).message;
  }
}

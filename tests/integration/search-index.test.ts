/**
 * The users list's search from a trigram index (db/search-index.ts, decision 027), on this run's database (PGlite,
 * or PostgreSQL with TEST_DATABASE_URL):
 * - migrating makes pg_trgm and the index, and a search of three characters or more can be answered from it (the
 *   plan names it when a scan is ruled out: on a small table the planner would rightly scan anyway);
 * - searches list the same users, in the same order, with the index and without it (it is dropped and the same
 *   searches run again), including `%` and `_` taken literally and terms too short for trigrams;
 * - where the extension cannot be made (a PGlite without its files, as a server without contrib), migrating still
 *   succeeds and says why, and search works by scanning.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { PGlite } from "@electric-sql/pglite";
import { createTestDb, type TestDatabase } from "../helpers/db";
import { storedUserRow } from "../helpers/stored-users";
import { homeserverUsers } from "../../db/schema";
import { openDatabase } from "../../db/client";
import { USERS_SEARCH_INDEX, tidyAfterUsersRewrite } from "../../db/search-index";
import { listStoredUsers, searchTextOf, type UserListQuery } from "../../app/services/users/stored.server";

const NOW = new Date("2025-06-01T00:00:00Z");
const names = ["Ana Okafor", "Priya Okafor", "Bob_Smith", "100% Alice", "Zoë Kowalski", null];
const people = Array.from({ length: 240 }, (_, i) => ({ userId: `@user${String(i).padStart(3, "0")}${i % 7 === 0 ? ".okafor" : ""}:t.test`, displayname: names[i % names.length] }));
const TERMS = ["okafor", "priya okafor", "bob_smith", "b_s", "100%", "0%", "zoë", "@user1", "user01", "t.test", "xq", "a", "no such person"];

let db: TestDatabase;

async function searchAll(): Promise<Array<{ term: string; total: number; ids: string[] }>> {
  const out = [];
  for (const term of TERMS) {
    const q: UserListQuery = { search: term, filter: "all", days: 30, sort: "name", dir: "asc", page: 1, pageSize: 1000 };
    const r = await listStoredUsers(db.db, q, NOW, db.kind);
    out.push({ term, total: r.total, ids: r.rows.map((u) => u.userId) });
  }
  return out;
}

beforeAll(async () => {
  db = await createTestDb();
  await db.db.insert(homeserverUsers).values(people.map(storedUserRow));
});
afterAll(async () => {
  await db?.close();
});

describe("users search index", () => {
  it("exists after migrating, and a search can be answered from it", async () => {
    const again = await db.migrate(); // idempotent: a second start finds both in place
    expect(again.searchIndex).toEqual({ ready: true });
    const idx = (await db.db.execute(sql`select indexdef from pg_indexes where indexname = ${USERS_SEARCH_INDEX}`)) as unknown as { rows: Array<{ indexdef: string }> };
    expect(idx.rows.map((r) => r.indexdef)).toEqual([expect.stringMatching(/USING gin \(search_text gin_trgm_ops\)/)]);
    const plan = await db.db.transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      return (await tx.execute(sql`explain select user_id from homeserver_users where search_text like ${"%okafor%"}`)) as unknown as { rows: Array<{ "QUERY PLAN": string }> };
    });
    expect(plan.rows.map((r) => r["QUERY PLAN"]).join("\n")).toContain(`Bitmap Index Scan on ${USERS_SEARCH_INDEX}`);
  });

  it("finds the same users with the index as without it", async () => {
    const withIndex = await searchAll();
    expect(withIndex.find((r) => r.term === "okafor")!.total).toBe(people.filter((p) => searchTextOf(p.userId, p.displayname).includes("okafor")).length);
    expect(withIndex.find((r) => r.term === "b_s")!.total).toBe(40); // "_" is literal: only "bob_smith"
    expect(withIndex.find((r) => r.term === "0%")!.total).toBe(40); // "%" is literal: only "100% alice"
    expect(withIndex.find((r) => r.term === "no such person")!.total).toBe(0);
    await db.db.execute(sql.raw(`drop index ${USERS_SEARCH_INDEX}`));
    try {
      expect(await searchAll()).toEqual(withIndex);
    } finally {
      expect((await db.migrate()).searchIndex).toEqual({ ready: true }); // made again at the next start
    }
  });
});

describe("after a collection rewrote the stored users", () => {
  it("merges the index's pending entries (and, embedded, refreshes the table's statistics) without error", async () => {
    expect(await tidyAfterUsersRewrite(db.db, db.kind === "pglite")).toBeNull();
    if (db.kind === "pglite") {
      const stats = (await db.db.execute(sql`select reltuples from pg_class where relname = 'homeserver_users'`)) as unknown as { rows: Array<{ reltuples: number }> };
      expect(Number(stats.rows[0].reltuples)).toBe(people.length);
    }
  });
});

describe("without pg_trgm", () => {
  it("migrates, says why there is no index, and searches by scanning", async () => {
    // A PGlite without the extension's files: CREATE EXTENSION fails as on a server without PostgreSQL's contrib.
    const bare = await openDatabase({ pglite: new PGlite() });
    try {
      const { searchIndex } = await bare.migrate();
      expect(searchIndex.ready).toBe(false);
      expect(searchIndex.ready ? "" : searchIndex.reason).toMatch(/pg_trgm/);
      await bare.db.insert(homeserverUsers).values(storedUserRow({ userId: "@priya:t.test", displayname: "Priya" }));
      const r = await listStoredUsers(bare.db, { search: "riy", filter: "all", days: 30, sort: "name", dir: "asc", page: 1, pageSize: 50 }, NOW, bare.kind);
      expect(r.rows.map((u) => u.userId)).toEqual(["@priya:t.test"]);
      expect(await tidyAfterUsersRewrite(bare.db, true)).toBeNull(); // no index to tidy: nothing to report
    } finally {
      await bare.close();
    }
  });
});

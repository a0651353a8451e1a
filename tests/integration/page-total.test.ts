/**
 * The users list and the security report count their matches one way on PGlite (the page first, the count only
 * when the page does not tell the total) and another on PostgreSQL (page and count side by side). Both ways run
 * here against this run's database, whichever it is, for searches of one page, several pages, an exactly full last
 * page, past the end and no match: each must list the same rows and report the true total.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDatabase } from "../helpers/db";
import { storedUserRow } from "../helpers/stored-users";
import { homeserverUsers, postureScans, postureUsers } from "../../db/schema";
import type { Database } from "../../db/client";
import { listStoredUsers, type UserListQuery } from "../../app/services/users/stored.server";
import { listPostureUsers, type PostureListQuery } from "../../app/services/posture/report.server";

const KINDS: Database["kind"][] = ["pglite", "postgres"];
const N = 130;
const NOW = new Date("2025-06-01T00:00:00Z");

let db: TestDatabase;
let scanId: number;
/** What is stored: user id, display name, deactivated, stale sessions. */
const people = Array.from({ length: N }, (_, i) => ({
  userId: `@user${String(i).padStart(3, "0")}:t.test`,
  displayname: i % 3 === 0 ? `Alice ${i}` : `Bob ${i}`,
  deactivated: i % 4 === 0,
  stale: i % 5 === 0 ? 1 : 0,
}));

beforeAll(async () => {
  db = await createTestDb();
  await db.db.insert(homeserverUsers).values(people.map(storedUserRow));
  const [scan] = await db.db.insert(postureScans).values({ startedAt: NOW, updatedAt: NOW, finishedAt: NOW, status: "complete", backupSource: "account_data", staleDays: 90 }).returning();
  scanId = scan.id;
  await db.db.insert(postureUsers).values(
    people.map((p) => ({
      scanId,
      userId: p.userId,
      displayname: p.displayname,
      category: p.deactivated ? "deactivated" : "active",
      crossSigning: "ok",
      recovery: "ok",
      keyBackup: "ok",
      noUnverifiedSessions: "ok",
      fullySecured: "ok",
      backupSource: "account_data",
      devices: 1 + p.stale,
      staleDevices: p.stale,
      searchText: `${p.userId}\n${p.displayname}`.toLowerCase(),
      scannedAt: NOW,
    })),
  );
});
afterAll(async () => {
  await db?.close();
});

/** Every page of a query (and the one after the last), as both kinds list it, against the expected ids. */
async function checkEveryPage(expected: string[], pageSize: number, list: (page: number, kind: Database["kind"]) => Promise<{ ids: string[]; total: number }>) {
  const pages = Math.ceil(expected.length / pageSize) + 1;
  for (let page = 1; page <= pages; page++) {
    const want = { ids: expected.slice((page - 1) * pageSize, page * pageSize), total: expected.length };
    for (const kind of KINDS) expect(await list(page, kind), `page ${page} of ${pages}, ${kind}`).toEqual(want);
  }
}

const matching = (term: string, also: (p: (typeof people)[number]) => boolean = () => true) =>
  people.filter((p) => `${p.userId}\n${p.displayname}`.toLowerCase().includes(term) && also(p)).map((p) => p.userId).sort();

// [search, page size]: several full pages then a partial one; an exactly full last page; less than one page; none.
const CASES: Array<[string, number]> = [
  ["user", 50],
  ["user1", 10],
  ["alice", 50],
  ["user01", 50],
  ["no-such-user", 50],
];

it("the cases are what they say", () => {
  expect(matching("user").length).toBe(N); // three pages of 50, the last partial
  expect(matching("user1").length).toBe(30); // three full pages of 10: the last one full, the next empty
  expect(matching("alice").length).toBeGreaterThan(0);
  expect(matching("alice").length).toBeLessThan(50);
  expect(matching("user01").length).toBe(10);
  expect(matching("no-such-user")).toEqual([]);
});

describe("users list totals", () => {
  for (const [term, pageSize] of CASES) {
    for (const filter of ["all", "deactivated"] as const) {
      it(`"${term}" (${filter}), ${pageSize} a page`, async () => {
        const expected = matching(term, (p) => filter === "all" || p.deactivated);
        await checkEveryPage(expected, pageSize, async (page, kind) => {
          const q: UserListQuery = { search: term, filter, days: 30, sort: "name", dir: "asc", page, pageSize };
          const r = await listStoredUsers(db.db, q, NOW, kind);
          expect(r.stored).toBeGreaterThan(0);
          return { ids: r.rows.map((u) => u.userId), total: r.total };
        });
      });
    }
  }
});

describe("security report totals", () => {
  for (const [term, pageSize] of CASES) {
    for (const stale of [false, true]) {
      it(`"${term}"${stale ? " with stale sessions" : ""}, ${pageSize} a page`, async () => {
        const expected = matching(term, (p) => !p.deactivated && (!stale || p.stale > 0));
        await checkEveryPage(expected, pageSize, async (page, kind) => {
          const q: PostureListQuery = { q: term, stale, include: [], sort: "user", dir: "asc", page, pageSize };
          const r = await listPostureUsers(db.db, scanId, q, undefined, kind);
          return { ids: r.rows.map((u) => u.userId), total: r.total };
        });
      });
    }
  }
});

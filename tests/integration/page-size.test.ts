/**
 * Rows per page remembered per admin (issue 18, app/services/lists/page-size.server.ts): a valid `size` sets it, no
 * `size` reads it (50 before any choice), a size not offered is ignored, another admin keeps their own, and a write
 * happens only when the choice changes (a write empties the rendered-page cache).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDatabase } from "../helpers/db";
import { pageSizeFor } from "../../app/services/lists/page-size.server";
import { adminPreferences } from "../../db/schema";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDb();
});
afterAll(async () => {
  await database?.close();
});

describe("pageSizeFor", () => {
  it("remembers the choice per admin and ignores sizes not offered", async () => {
    const db = database.db;
    expect(await pageSizeFor(db, "@a:x", null)).toBe(50);
    expect(await pageSizeFor(db, "@a:x", "500")).toBe(500);
    expect(await pageSizeFor(db, "@a:x", null)).toBe(500);
    expect(await pageSizeFor(db, "@a:x", "7")).toBe(500);
    expect(await pageSizeFor(db, "@a:x", "1000abc")).toBe(500);
    expect(await pageSizeFor(db, "@b:x", null)).toBe(50);
    expect(await pageSizeFor(db, "@a:x", "1000")).toBe(1000);
    expect(await pageSizeFor(db, "@a:x", "")).toBe(1000);
    expect(await db.select().from(adminPreferences)).toEqual([{ userId: "@a:x", pageSize: 1000, updatedAt: expect.any(Date) }]);
  });

  it("writes (and so empties the page cache) only when the choice changes", async () => {
    const feed = await database.watchDataChanges();
    let seen = 0;
    const stop = feed.subscribe(() => seen++);
    try {
      await pageSizeFor(database.db, "@c:x", "100");
      await expect.poll(async () => (await feed.sync(), seen)).toBe(1);
      await pageSizeFor(database.db, "@c:x", "100");
      await feed.sync();
      expect(seen).toBe(1);
      await pageSizeFor(database.db, "@c:x", "50");
      await expect.poll(async () => (await feed.sync(), seen)).toBe(2);
    } finally {
      stop();
    }
  });
});

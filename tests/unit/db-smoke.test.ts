import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDatabase } from "../helpers/db";
import { auditEvents } from "../../db/schema";

describe("test database", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDb();
  });
  afterAll(async () => {
    await database.close();
  });
  it("is migrated and writable", async () => {
    await database.db.insert(auditEvents).values({ at: new Date(), actor: "@a:b", action: "test", outcome: "ok" });
    const rows = await database.db.select().from(auditEvents);
    expect(rows).toHaveLength(1);
    expect(rows[0].actor).toBe("@a:b");
  });
  it("advisory lock excludes a second holder", async () => {
    const inner = await database.tryWithLock("x", async () => (await database.tryWithLock("x", async () => 1)).acquired);
    expect(inner).toEqual({ acquired: true, value: false });
  });
});

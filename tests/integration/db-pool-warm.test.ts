/**
 * Steward's PostgreSQL connections stay open once opened (decision 032): a burst of queries opens several, and a
 * quiet spell longer than pg's default idle timeout (10 s) does not close them, so the next page does not pay for new
 * backends planning their first queries cold. PostgreSQL only: the embedded database has one in-process connection.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { createTestDb, usingPostgres, type TestDatabase } from "../helpers/db";

describe.skipIf(!usingPostgres)("database connections (PostgreSQL)", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDb();
  });
  afterAll(async () => {
    await database?.close();
  });

  const open = async () => {
    const r = (await database.db.execute(sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and backend_type = 'client backend'`)) as unknown as { rows: Array<{ n: number }> };
    return r.rows[0].n;
  };

  it("keeps the connections a burst opened through a quiet spell longer than pg's idle timeout", async () => {
    await Promise.all(Array.from({ length: 5 }, () => database.db.execute(sql`select pg_sleep(0.2)`)));
    expect(await open()).toBe(5);
    await new Promise((r) => setTimeout(r, 11_000));
    expect(await open()).toBe(5);
  }, 30_000);
});

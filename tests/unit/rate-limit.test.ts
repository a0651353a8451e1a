import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDatabase } from "../helpers/db";
import { hitRateLimit } from "../../app/services/auth/rate-limit.server";

describe("database rate limits", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDb();
  });
  afterAll(async () => {
    await database.close();
  });

  it("allows up to the limit in a window, then refuses with the time left, then restarts", async () => {
    const t0 = new Date("2026-01-01T00:00:00Z");
    for (let i = 1; i <= 3; i++) {
      const r = await hitRateLimit(database.db, "k", 3, 60_000, new Date(t0.getTime() + i * 1000));
      expect(r).toEqual({ allowed: true, remaining: 3 - i, retryAfterMs: 0 });
    }
    const refused = await hitRateLimit(database.db, "k", 3, 60_000, new Date(t0.getTime() + 10_000));
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBe(60_000 - 9_000); // window started at t0+1s
    const other = await hitRateLimit(database.db, "other", 3, 60_000, new Date(t0.getTime() + 10_000));
    expect(other.allowed).toBe(true);
    const later = await hitRateLimit(database.db, "k", 3, 60_000, new Date(t0.getTime() + 61_001));
    expect(later).toEqual({ allowed: true, remaining: 2, retryAfterMs: 0 });
  });
});

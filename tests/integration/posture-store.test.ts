// writePage stores every verdict field exactly (the rows travel as one jsonb parameter), upserts a redone page,
// and survives homeserver text PostgreSQL cannot hold (U+0000) or that looks like SQL/JSON syntax.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asc, eq } from "drizzle-orm";
import type { PostureVerdict } from "../../app/services/posture/classify.server";
import { startOrResumeScan, writePage, WRITE_CHUNK_ROWS } from "../../app/services/posture/store.server";
import { postureScans, postureUsers } from "../../db/schema";
import { createTestDb, type TestDatabase } from "../helpers/db";
import { isEmbedded } from "../../db/client";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDb();
});
afterAll(async () => {
  await database.close();
});

function verdict(i: number, over: Partial<PostureVerdict> = {}): PostureVerdict {
  return {
    userId: `@user${i}:store.test`,
    displayname: `User ${i}`,
    category: i % 2 ? "active" : "bot",
    admin: i === 0,
    crossSigning: "ok",
    recovery: i % 3 === 0 ? "missing" : "ok",
    keyBackup: "unknown",
    noUnverifiedSessions: "ok",
    fullySecured: "missing",
    backupSource: "database",
    backupVersion: i % 2 ? String(i) : null,
    backupKeyCount: i % 2 ? i * 10 : null,
    devices: i,
    crossSignedDevices: i % 4,
    unverifiedDevices: i % 3,
    noKeyDevices: i % 2,
    staleDevices: i % 5,
    deviceList: [{ id: `DEV${i}`, name: i % 2 ? `Phone ${i}` : null, lastSeenTs: i % 2 ? 1_700_000_000_000 + i : null, state: "cross_signed", stale: i % 2 === 0 }],
    notes: i % 2 ? { keyBackup: `note ${i}` } : {},
    ...over,
  };
}

const opts = (now: Date, cursor: string | null) => ({ cursor, usersScanned: 0, totalUsers: 10, requests: 3, keyQueryLimited: false, now });

describe("writePage", () => {
  it("writes a page larger than one statement's chunk whole, in one transaction", async () => {
    const now = new Date(Date.UTC(2026, 10, 27, 9, 0, 0));
    const { scan } = await startOrResumeScan(database.db, { now, backupSource: "database", staleDays: 90, resumeWithinMs: 60_000 });
    expect(isEmbedded(database.db)).toBe(!process.env.TEST_DATABASE_URL); // PGlite unless the suite runs on PostgreSQL
    const chunk = isEmbedded(database.db) ? WRITE_CHUNK_ROWS.embedded : WRITE_CHUNK_ROWS.server;
    const n = chunk * 2 + 7;
    expect(n).toBeGreaterThan(100);
    const verdicts = Array.from({ length: n }, (_, i) => verdict(1000 + i));
    await writePage(database.db, scan.id, verdicts, opts(now, "x"));
    const rows = await database.db.select({ userId: postureUsers.userId }).from(postureUsers).where(eq(postureUsers.scanId, scan.id));
    expect(rows.map((r) => r.userId).sort()).toEqual(verdicts.map((v) => v.userId).sort());
    // A chunk that fails takes the whole page (and the cursor) with it: nothing half-written.
    const bad = verdicts.map((v, i) => (i === chunk + 3 ? { ...v, category: null as unknown as PostureVerdict["category"] } : { ...v, userId: v.userId.replace("@", "@again") }));
    await expect(writePage(database.db, scan.id, bad, opts(now, "y"))).rejects.toThrow();
    const after = await database.db.select({ userId: postureUsers.userId }).from(postureUsers).where(eq(postureUsers.scanId, scan.id));
    expect(after).toHaveLength(n);
    const [s] = await database.db.select({ cursor: postureScans.cursor }).from(postureScans).where(eq(postureScans.id, scan.id));
    expect(s.cursor).toBe("x");
  });


  it("stores every field of every verdict, and a redone page replaces its rows", async () => {
    const now = new Date(Date.UTC(2026, 10, 27, 10, 0, 0));
    const { scan } = await startOrResumeScan(database.db, { now, backupSource: "database", staleDays: 90, resumeWithinMs: 60_000 });
    const verdicts = Array.from({ length: 7 }, (_, i) => verdict(i));
    await writePage(database.db, scan.id, verdicts, opts(now, "7"));

    const rows = await database.db.select().from(postureUsers).where(eq(postureUsers.scanId, scan.id)).orderBy(asc(postureUsers.userId));
    expect(rows).toHaveLength(7);
    for (const v of verdicts) {
      const row = rows.find((r) => r.userId === v.userId)!;
      const { scanId, scannedAt, searchText, ...stored } = row;
      expect(stored).toEqual(v);
      expect(scanId).toBe(scan.id);
      expect(scannedAt.getTime()).toBe(now.getTime());
      expect(searchText).toBe(`${v.userId}\n${v.displayname}`.toLowerCase());
    }
    const [s1] = await database.db.select().from(postureScans).where(eq(postureScans.id, scan.id));
    expect(s1.cursor).toBe("7");
    expect(s1.requests).toBe(3);

    // The same page again (a resumed scan redoes it) with changed verdicts: replaced, not duplicated.
    const later = new Date(now.getTime() + 60_000);
    await writePage(database.db, scan.id, verdicts.map((v) => ({ ...v, recovery: "ok", devices: 42, deviceList: [] })), opts(later, "7"));
    const again = await database.db.select().from(postureUsers).where(eq(postureUsers.scanId, scan.id));
    expect(again).toHaveLength(7);
    expect(again.every((r) => r.recovery === "ok" && r.devices === 42 && r.deviceList?.length === 0)).toBe(true);
    expect(again.every((r) => r.scannedAt.getTime() === later.getTime())).toBe(true);
    const [s2] = await database.db.select().from(postureScans).where(eq(postureScans.id, scan.id));
    expect(s2.requests).toBe(6);
  });

  it("keeps hostile homeserver text as text, dropping only U+0000", async () => {
    const now = new Date(Date.UTC(2026, 10, 27, 11, 0, 0));
    const { scan } = await startOrResumeScan(database.db, { now, backupSource: "account_data", staleDays: 90, resumeWithinMs: 0 });
    const hostile = `Ro\u0000bert'); drop table posture_users; -- "\\u0000" \u202e ${"x".repeat(10_000)}`;
    await writePage(
      database.db,
      scan.id,
      [verdict(1, { displayname: hostile, notes: { recovery: "a\u0000b", "key\u0000": "}{" }, deviceList: [{ id: "D\u0000", name: "\"]}", lastSeenTs: null, state: "no_keys", stale: false }] })],
      opts(now, null),
    );
    const [row] = await database.db.select().from(postureUsers).where(eq(postureUsers.scanId, scan.id));
    expect(row.displayname).toBe(hostile.replaceAll("\u0000", ""));
    expect(row.displayname).toContain('"\\u0000"'); // a literal backslash-u sequence is text, not a NUL
    expect(row.notes).toEqual({ recovery: "ab", key: "}{" });
    expect(row.deviceList).toEqual([{ id: "D", name: "\"]}", lastSeenTs: null, state: "no_keys", stale: false }]);
  });
});

/**
 * The security report takes a filter's total from the scan's summary when it can (scope, check, status, stale
 * sessions) instead of counting the rows. For every such filter the summary's total must equal the rows that match,
 * counted here in the test from what was stored; a summary written before the stale counts were kept must fall back
 * to counting. Sorted pages break ties on the user id in the sort's direction: checked against a sort done here.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { postureScans, postureUsers } from "../../db/schema";
import { finishScan } from "../../app/services/posture/store.server";
import { CHECKS, type CheckName } from "../../app/services/posture/classify.server";
import { EXTRA_CATEGORIES, listPostureUsers, totalFromSummary, type ExtraCategory, type PostureListQuery, type PostureScan } from "../../app/services/posture/report.server";
import { createTestDb, type TestDatabase } from "../helpers/db";

const NOW = new Date("2026-01-01T00:00:00Z");
const STATUSES = ["ok", "missing", "unknown"] as const;
const CATEGORIES = ["active", ...EXTRA_CATEGORIES] as const;
const COLUMN = { cross_signing: "crossSigning", recovery: "recovery", key_backup: "keyBackup", no_unverified_sessions: "noUnverifiedSessions", fully_secured: "fullySecured" } as const;

let db: TestDatabase;
let scan: PostureScan;
/** A small deterministic generator, so a failure can be replayed. */
let seed = 42;
const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);

const rows = Array.from({ length: 400 }, (_, i) => ({
  userId: `@u${String(i).padStart(3, "0")}:sum.test`,
  category: CATEGORIES[rand(7) < 4 ? 0 : rand(CATEGORIES.length)],
  crossSigning: STATUSES[rand(3)],
  recovery: STATUSES[rand(3)],
  keyBackup: STATUSES[rand(3)],
  noUnverifiedSessions: STATUSES[rand(3)],
  fullySecured: STATUSES[rand(3)],
  // Few distinct values, so sorting by them has large ties.
  devices: rand(4),
  unverifiedDevices: rand(3),
  staleDevices: rand(3) === 0 ? 1 + rand(2) : 0,
}));

beforeAll(async () => {
  db = await createTestDb();
  const [s] = await db.db.insert(postureScans).values({ startedAt: NOW, updatedAt: NOW, status: "running", backupSource: "account_data", staleDays: 90 }).returning();
  await db.db.insert(postureUsers).values(rows.map((r) => ({ ...r, scanId: s.id, displayname: null, backupSource: "account_data", searchText: r.userId, scannedAt: NOW })));
  await finishScan(db.db, s.id, { now: NOW, notes: [] });
  [scan] = await db.db.select().from(postureScans).where(eq(postureScans.id, s.id));
});
afterAll(async () => {
  await db?.close();
});

const scopes: ExtraCategory[][] = [[], ["deactivated"], ["bot", "support"], [...EXTRA_CATEGORIES]];
const checks: Array<[CheckName, (typeof STATUSES)[number]] | undefined> = [undefined, ...CHECKS.flatMap((c) => STATUSES.map((s) => [c, s] as [CheckName, (typeof STATUSES)[number]]))];

function expected(include: ExtraCategory[], check: [CheckName, string] | undefined, stale: boolean) {
  return rows.filter((r) => (r.category === "active" || (include as string[]).includes(r.category)) && (!check || r[COLUMN[check[0]]] === check[1]) && (!stale || r.staleDevices > 0));
}

describe("totals from the summary", () => {
  it("the stored rows cover every category, check status and both stale states", () => {
    for (const c of CATEGORIES) expect(rows.filter((r) => r.category === c && r.staleDevices > 0).length, c).toBeGreaterThan(0);
    expect(scan.summary?.categories?.active.stale?.users).toBe(rows.filter((r) => r.category === "active" && r.staleDevices > 0).length);
  });

  for (const include of scopes) {
    for (const stale of [false, true]) {
      it(`scope ${["active", ...include].join("+")}${stale ? ", stale sessions" : ""}: every check and status`, async () => {
        for (const check of checks) {
          const q: PostureListQuery = { include, stale, check: check?.[0], status: check?.[1], sort: "user", dir: "asc", page: 1, pageSize: 50 };
          const want = expected(include, check, stale).length;
          const label = `${check?.join("=") ?? "no check"}`;
          expect(totalFromSummary(scan, q), label).toBe(want);
          // The page listed with the summary's total agrees with a real count (no scan given: always counted).
          const viaSummary = await listPostureUsers(db.db, scan.id, q, scan, db.kind);
          const counted = await listPostureUsers(db.db, scan.id, q, undefined, db.kind);
          expect(viaSummary.total, label).toBe(want);
          expect(counted.total, label).toBe(want);
          expect(viaSummary.rows.map((r) => r.userId), label).toEqual(counted.rows.map((r) => r.userId));
        }
      });
    }
  }

  it("a summary without stale counts (written by an older version) is not used for the stale filter", () => {
    const old = structuredClone(scan);
    for (const cat of Object.values(old.summary!.categories!)) delete cat.stale;
    const q: PostureListQuery = { include: [], stale: true, sort: "user", dir: "asc", page: 1, pageSize: 50 };
    expect(totalFromSummary(old, q)).toBeNull();
    expect(totalFromSummary(old, { ...q, stale: false })).toBe(expected([], undefined, false).length);
  });

  it("search and the session-count filter are always counted", () => {
    const q: PostureListQuery = { include: [], sort: "user", dir: "asc", page: 1, pageSize: 50 };
    expect(totalFromSummary(scan, { ...q, q: "u01" })).toBeNull();
    expect(totalFromSummary(scan, { ...q, moreThan: 1 })).toBeNull();
  });
});

describe("sorted pages", () => {
  const SORT_COLUMN = { devices: "devices", unverified: "unverifiedDevices", stale: "staleDevices" } as const;
  for (const sort of ["user", "devices", "unverified", "stale"] as const) {
    for (const dir of ["asc", "desc"] as const) {
      it(`by ${sort} ${dir}: every page in order, ties by user id the same way`, async () => {
        const sign = dir === "asc" ? 1 : -1;
        const key = (r: (typeof rows)[number]) => (sort === "user" ? 0 : r[SORT_COLUMN[sort]]);
        const want = expected([...EXTRA_CATEGORIES], undefined, false)
          .sort((a, b) => sign * (key(a) - key(b) || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0)))
          .map((r) => r.userId);
        const got: string[] = [];
        for (let page = 1; page <= Math.ceil(want.length / 50); page++) {
          const q: PostureListQuery = { include: [...EXTRA_CATEGORIES], sort, dir, page, pageSize: 50 };
          got.push(...(await listPostureUsers(db.db, scan.id, q, scan, db.kind)).rows.map((r) => r.userId));
        }
        expect(got).toEqual(want);
      });
    }
  }
});

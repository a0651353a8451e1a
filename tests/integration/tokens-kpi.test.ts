// The overview's "Registration tokens valid" card: counted from Steward's records by the same rules as the tokens
// page, with hazards called out and a delta against the daily snapshots of a week before.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadKpis } from "../../app/services/overview/kpis.server";
import { tokenKpis } from "../../app/services/tokens/metrics.server";
import { utcDay } from "../../app/services/tokens/snapshots.server";
import { loadConfig } from "../../app/config.server";
import { registrationTokenRecords, registrationTokenSnapshots } from "../../db/schema";
import { createTestDb, type TestDatabase } from "../helpers/db";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDb();
});
afterAll(async () => {
  await database.close();
});

const NOW = new Date(Date.UTC(2026, 10, 27, 12, 0, 0));
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);

function record(token: string, over: Partial<typeof registrationTokenRecords.$inferInsert> = {}) {
  return { token, origin: "steward", createdAt: ago(30), usesAllowed: 5, pending: 0, completed: 0, expiryTime: null, syncedAt: ago(0.01), ...over };
}

describe("tokens.valid KPI", () => {
  it("says why there is no number before any token list was read", async () => {
    const [card] = await tokenKpis({ db: database.db, now: NOW });
    expect(card.id).toBe("tokens.valid");
    expect(card.value).toBeNull();
    expect(card.unavailable).toMatch(/No token list read yet/);
  });

  it("counts valid tokens as the tokens page does, calls out hazards, and compares with a week ago", async () => {
    await database.db.insert(registrationTokenRecords).values([
      record("valid-a"),
      record("valid-b", { usesAllowed: null, createdAt: ago(2) }), // created after the week-ago snapshot
      record("expired", { expiryTime: ago(1).getTime() }),
      record("used-up", { usesAllowed: 2, completed: 1, pending: 1 }),
      record("revoked", { revokedAt: ago(1), revokedBy: "@admin:x" }),
      record("hazard", { usesAllowed: 0 }),
    ]);
    const weekAgo = utcDay(ago(7));
    await database.db.insert(registrationTokenSnapshots).values([
      { token: "valid-a", day: weekAgo, completed: 0, pending: 0, usesAllowed: 5, takenAt: ago(7) },
      { token: "expired", day: weekAgo, completed: 0, pending: 0, usesAllowed: 5, takenAt: ago(7) }, // valid then, expired since
      { token: "revoked", day: weekAgo, completed: 1, pending: 0, usesAllowed: 5, takenAt: ago(7) }, // valid then, revoked since
      { token: "used-up", day: weekAgo, completed: 2, pending: 0, usesAllowed: 2, takenAt: ago(7) }, // already used up
    ]);

    const [card] = await tokenKpis({ db: database.db, now: NOW });
    expect(card.value).toBe(2); // valid-a, valid-b
    expect(card.delta).toBe(2 - 3); // valid-a, expired and revoked were valid a week ago
    expect(card.hint).toMatch(/^1 with 0 uses allowed still admits registrations/);
    expect(card.href).toBe("/tokens?state=hazard");

    // The overview's slot is filled by it (not "not reported yet").
    const config = loadConfig({ NODE_ENV: "test", HOMESERVER_URL: "http://127.0.0.1:1", SESSION_SECRET: "test-secret-test-secret-test-secret-0123456789" });
    const cards = await loadKpis({ db: database.db, config, now: NOW });
    const slot = cards.find((c) => c.id === "tokens.valid");
    expect(slot?.value).toBe(2);
  });
});

/** The counting rules and the "not available on Synapse X" decisions, without a server or database. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseVersion, unavailableCounts, UserTally } from "../../app/services/users/counts.server";
import { pgSafeText, searchTextOf } from "../../app/services/users/stored.server";
import type { UserSummary } from "../../app/homeserver/index";

const NOW = Date.parse("2026-03-10T12:00:00Z");
const DAY = 86_400_000;

function user(over: Partial<UserSummary> & { userId: string }): UserSummary {
  return {
    userType: null, isGuest: false, admin: false, deactivated: false, shadowBanned: false, displayname: null, avatarUrl: null,
    creationTs: NOW - 100 * DAY, lastSeenTs: null, erased: false, locked: false, approved: true, ...over,
  };
}

describe("UserTally", () => {
  it("counts activity only for accounts that are not deactivated, at the day boundaries", () => {
    const t = new UserTally(NOW);
    t.add(user({ userId: "@a:x", lastSeenTs: NOW - DAY })); // exactly 1 day ago: within 1 d
    t.add(user({ userId: "@b:x", lastSeenTs: NOW - DAY - 1 })); // just outside 1 d
    t.add(user({ userId: "@c:x", lastSeenTs: NOW - 30 * DAY }));
    t.add(user({ userId: "@d:x", lastSeenTs: NOW - 2 * DAY, deactivated: true }));
    t.add(user({ userId: "@e:x", lastSeenTs: null }));
    t.add(user({ userId: "@f:x", lastSeenTs: null, deactivated: true }));
    const r = t.result();
    expect([r.active1d, r.active7d, r.active30d, r.neverSeen, r.deactivated, r.total]).toEqual([1, 2, 3, 1, 2, 6]);
  });

  it("counts creations whatever became of the account, and every flag and type over all accounts", () => {
    const t = new UserTally(NOW);
    t.add(user({ userId: "@a:x", creationTs: NOW - 3600_000, deactivated: true, userType: "bot" }));
    t.add(user({ userId: "@b:x", creationTs: NOW - 6 * DAY, isGuest: true }));
    t.add(user({ userId: "@c:x", creationTs: NOW - 29 * DAY, admin: true, locked: true, shadowBanned: true, userType: "support" }));
    t.add(user({ userId: "@d:x", creationTs: null, userType: "m.custom" }));
    const r = t.result();
    expect([r.created1d, r.created7d, r.created30d]).toEqual([1, 2, 3]);
    expect([r.guests, r.admins, r.locked, r.shadowBanned]).toEqual([1, 1, 1, 1]);
    expect([r.regular, r.bots, r.support, r.otherTypes]).toEqual([1, 1, 1, 1]);
    expect([...t.registrationsPerDay.values()].reduce((a, b) => a + b, 0)).toBe(3); // no creation time, no day
  });

  it("ignores a user repeated by shifting offset pages", () => {
    const t = new UserTally(NOW);
    expect(t.add(user({ userId: "@a:x" }))).toBe(true);
    expect(t.add(user({ userId: "@a:x" }))).toBe(false);
    expect(t.result().total).toBe(1);
  });

  it("reports what the server cannot tell as null with the reason, never as 0", () => {
    const t = new UserTally(NOW, unavailableCounts({ version: "1.90.0", guestsListable: false }));
    t.add(user({ userId: "@a:x", lastSeenTs: null }));
    const r = t.result();
    expect([r.active1d, r.active7d, r.active30d, r.neverSeen, r.locked, r.guests]).toEqual([null, null, null, null, null, null]);
    expect(r.created30d).toBe(0);
    expect(r.unavailable.active30d).toBe("Not available on Synapse 1.90.0: the user list has no last-seen time before 1.92.");
    expect(r.unavailable.guests).toMatch(/MAS/);
  });

  it("the totals always add up (property)", () => {
    const arb = fc.array(
      fc.record({
        deactivated: fc.boolean(),
        lastSeen: fc.option(fc.integer({ min: 0, max: 400 }), { nil: null }),
        type: fc.constantFrom(null, "bot", "support", "custom"),
      }),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(arb, (specs) => {
        const t = new UserTally(NOW);
        specs.forEach((s, i) =>
          t.add(user({ userId: `@u${i}:x`, deactivated: s.deactivated, lastSeenTs: s.lastSeen === null ? null : NOW - s.lastSeen * DAY, userType: s.type })),
        );
        const r = t.result();
        const live = specs.filter((s) => !s.deactivated);
        expect(r.total).toBe(specs.length);
        expect(r.regular + r.bots + r.support + r.otherTypes).toBe(r.total);
        expect(r.neverSeen! + r.deactivated + live.filter((s) => s.lastSeen !== null).length).toBe(r.total);
        expect(r.active1d!).toBeLessThanOrEqual(r.active7d!);
        expect(r.active7d!).toBeLessThanOrEqual(r.active30d!);
      }),
    );
  });
});

describe("unavailableCounts / parseVersion", () => {
  it("parses Synapse version strings and treats unknown ones as current", () => {
    expect(parseVersion("1.132.0")).toEqual([1, 132]);
    expect(parseVersion("1.98.0rc1")).toEqual([1, 98]);
    expect(parseVersion("1.90.0 (b=develop,abc)")).toEqual([1, 90]);
    expect(parseVersion("dendrite")).toBeNull();
    expect(unavailableCounts({ version: null, guestsListable: true })).toEqual({});
    expect(unavailableCounts({ version: "1.92.0", guestsListable: true })).toEqual({ locked: expect.stringContaining("1.93") });
    expect(Object.keys(unavailableCounts({ version: "1.39.0", guestsListable: true })).sort()).toEqual(
      ["active1d", "active30d", "active7d", "created1d", "created30d", "created7d", "locked", "neverSeen"],
    );
  });
});

describe("stored text", () => {
  it("strips NUL (PostgreSQL text cannot hold it) and builds a lower-case search key", () => {
    expect(pgSafeText("a\u0000b")).toBe("ab");
    expect(pgSafeText(null)).toBeNull();
    expect(searchTextOf("@Ann:X", "Ann <B>")).toBe("@ann:x\nann <b>");
  });
});

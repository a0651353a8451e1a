/** Daily registrations from a token's daily snapshots (differences of the completed counter, never negative). */
import { describe, expect, it } from "vitest";
import { dailyRegistrations } from "../../app/components/tokens/TokenHistoryChart";

describe("dailyRegistrations", () => {
  it("differences consecutive readings; the first day has no baseline", () => {
    expect(
      dailyRegistrations([
        { day: "2026-11-20", completed: 3, pending: 0 },
        { day: "2026-11-21", completed: 5, pending: 1 },
        { day: "2026-11-22", completed: 5, pending: 0 },
        { day: "2026-11-23", completed: 0, pending: 0 }, // re-created token: counters restart
      ]),
    ).toEqual([
      { day: "2026-11-20", registrations: 0 },
      { day: "2026-11-21", registrations: 2 },
      { day: "2026-11-22", registrations: 0 },
      { day: "2026-11-23", registrations: 0 },
    ]);
  });
});

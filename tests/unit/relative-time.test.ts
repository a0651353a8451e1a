// Issue 14, item 9: one relative-time wording for the whole app. A past event is never in the future tense, even
// when its timestamp is a few seconds ahead of the clock that renders it; a future moment reads "in …".
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { renderToString } from "react-dom/server";
import { createElement } from "react";
import { relativeTime, dateTimeUtc, dateUtc } from "~/services/format/time";
import { formatRelative } from "~/components/Time";
import { Ago } from "~/components/federation/Ago";

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const MIN = 60_000;

describe("relativeTime", () => {
  it("writes past events in the past tense", () => {
    expect(relativeTime(NOW - 5_000, NOW)).toBe("just now");
    expect(relativeTime(NOW - 3 * MIN, NOW)).toBe("3 min ago");
    expect(relativeTime(NOW - 5 * 3600_000, NOW)).toBe("5 h ago");
    expect(relativeTime(NOW - 3 * 86_400_000, NOW)).toBe("3 d ago");
  });

  it("says 'just now' for an event a little ahead of the clock (never 'in under a minute')", () => {
    expect(relativeTime(NOW + 2_000, NOW)).toBe("just now");
    expect(relativeTime(NOW + 2_000, NOW, "past")).toBe("just now");
    expect(formatRelative(NOW + 2_000, NOW)).toBe("just now");
    expect(renderToString(createElement(Ago, { ms: NOW + 30_000, now: NOW }))).toContain(">just now<");
  });

  it("writes future moments as 'in …' and passed ones as past", () => {
    expect(relativeTime(NOW + 3 * MIN, NOW, "future")).toBe("in 3 min");
    expect(relativeTime(NOW + 20_000, NOW, "future")).toBe("in under a minute");
    expect(relativeTime(NOW + 6 * 86_400_000, NOW, "future")).toBe("in 6 d");
    expect(relativeTime(NOW - 2 * 3600_000, NOW, "future")).toBe("2 h ago");
  });

  it("never writes a past event in the future tense, at any distance", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e11, max: 1e11 }), (offset) => {
        const text = relativeTime(NOW + offset, NOW);
        expect(text).not.toMatch(/^in /);
        expect(text).toMatch(/^(just now|\d+ (min|h|d|mo|y) ago)$/);
      }),
      { numRuns: 500 },
    );
  });

  it("formats absolute dates in words, not ISO", () => {
    expect(dateTimeUtc(Date.UTC(2026, 11, 3, 18, 5))).toBe("3 Dec 2026, 18:05 UTC");
    expect(dateUtc(Date.UTC(2026, 0, 9))).toBe("9 Jan 2026");
  });
});

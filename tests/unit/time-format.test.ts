// The cached formatter behind <Time> and <AbsoluteTime> prints exactly what Date#toLocaleString printed, in any zone,
// and the server-rendered <Time> carries it (UTC) in its title.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { renderToString } from "react-dom/server";
import { createElement } from "react";
import { Time, formatAbsolute } from "~/components/Time";

const opts = { dateStyle: "medium", timeStyle: "short" } as const;

describe("formatAbsolute", () => {
  it("equals toLocaleString for any date and zone, with formatters reused", () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.constantFrom("UTC", undefined, "America/New_York", "Asia/Kolkata"), (ms, zone) => {
        expect(formatAbsolute(ms, zone)).toBe(new Date(ms).toLocaleString("en-GB", { timeZone: zone, ...opts }));
      }),
      { numRuns: 500 },
    );
  });

  it("is what the server-rendered <Time> shows", () => {
    const ms = Date.UTC(2026, 10, 27, 21, 5);
    const html = renderToString(createElement(Time, { value: ms }));
    expect(html).toContain(`title="${new Date(ms).toLocaleString("en-GB", { timeZone: "UTC", ...opts })} UTC"`);
    expect(html).toContain('dateTime="2026-11-27T21:05:00.000Z"');
  });
});

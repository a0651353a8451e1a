/** Chart labels read as Steward writes dates elsewhere: never an ISO string or a snapshot's day key. */
import { describe, expect, it } from "vitest";
import { legendOrder, timeTick, tooltipBucket, tooltipMoment } from "../../app/components/charts/ChartFrame";
import { dayLabel, dayTick } from "../../app/components/tokens/TokenHistoryChart";

const T = Date.UTC(2026, 11, 5, 6, 0); // 5 Dec 2026, 06:00 UTC (a Saturday)

describe("chart labels", () => {
  it("a point's moment: day, month, year and UTC time", () => {
    expect(tooltipMoment(T)).toBe("5 Dec 2026, 06:00 UTC");
    expect(tooltipMoment(String(T))).toBe("5 Dec 2026, 06:00 UTC");
  });

  it("a bucket by its size: a day, the week it starts, or the month", () => {
    expect(tooltipBucket("day")(T)).toBe("5 Dec 2026");
    expect(tooltipBucket("week")(Date.UTC(2026, 10, 30))).toBe("Week of 30 Nov 2026");
    expect(tooltipBucket("month")(Date.UTC(2026, 10, 1))).toBe("November 2026");
  });

  it("axis ticks: the time within a week (not a bare hour), the day within a year, the month beyond", () => {
    expect(timeTick(7)(T)).toBe("5 Dec, 06:00");
    expect(timeTick(0)(Date.UTC(2026, 11, 5, 23, 30))).toBe("5 Dec, 23:30");
    expect(timeTick(30)(T)).toBe("5 Dec");
    expect(timeTick(null)(T)).toBe("Dec 2026");
  });

  it("legend items in the order given, unknown ones last", () => {
    const items = ["active30d", "other", "active1d", "active7d"].map((dataKey) => ({ dataKey }));
    const order = legendOrder(["active1d", "active7d", "active30d"]);
    expect([...items].sort((a, b) => order(a) - order(b)).map((i) => i.dataKey)).toEqual(["active1d", "active7d", "active30d", "other"]);
  });

  it("a token snapshot's day key as a date, and anything else left as it is", () => {
    expect(dayTick("2026-11-28")).toBe("28 Nov");
    expect(dayLabel("2026-11-28")).toBe("28 Nov 2026");
    expect(dayTick("not a day")).toBe("not a day");
  });
});

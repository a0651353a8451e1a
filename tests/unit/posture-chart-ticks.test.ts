// The security chart's axis: scans hours apart on one day get distinct labels (they all read "4 Dec"), scans months
// apart are labelled by day.
import { describe, expect, it } from "vitest";
import { scanTick } from "../../app/components/security/PostureHistoryChart";

const at = (iso: string) => Date.parse(iso);

describe("scanTick", () => {
  it("labels scans on the same day by their hour", () => {
    const times = [at("2026-12-04T06:00:00Z"), at("2026-12-04T12:00:00Z"), at("2026-12-04T18:00:00Z")];
    const labels = times.map(scanTick(times));
    expect(new Set(labels).size).toBe(3);
    expect(labels[0]).toContain("4 Dec");
    expect(labels[0]).toContain("06");
  });

  it("labels scans months apart by their day, without the hour", () => {
    const times = [at("2026-06-01T06:00:00Z"), at("2026-12-04T18:00:00Z")];
    expect(times.map(scanTick(times))).toEqual(["1 Jun", "4 Dec"]);
  });
});

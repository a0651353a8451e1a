// A time axis (the security and federation charts'): scans hours apart on one day get distinct labels (they all read "4 Dec"), scans months
// apart are labelled by day.
import { describe, expect, it } from "vitest";
import { timeTickFor } from "../../app/components/charts/ChartFrame";

const at = (iso: string) => Date.parse(iso);

describe("timeTickFor", () => {
  it("labels scans on the same day by their hour", () => {
    const times = [at("2026-12-04T06:00:00Z"), at("2026-12-04T12:00:00Z"), at("2026-12-04T18:00:00Z")];
    const labels = times.map(timeTickFor(times));
    expect(new Set(labels).size).toBe(3);
    expect(labels[0]).toContain("4 Dec");
    expect(labels[0]).toContain("06");
  });

  it("labels scans months apart by their day, without the hour", () => {
    const times = [at("2026-06-01T06:00:00Z"), at("2026-12-04T18:00:00Z")];
    expect(times.map(timeTickFor(times))).toEqual(["1 Jun", "4 Dec"]);
  });
});

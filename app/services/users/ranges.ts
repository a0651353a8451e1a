/** The overview's chart ranges; shared by the page (browser) and the series service (server). */
export const RANGES = ["7d", "30d", "1y", "all"] as const;
export type Range = (typeof RANGES)[number];
export const RANGE_DAYS: Record<Range, number | null> = { "7d": 7, "30d": 30, "1y": 365, all: null };
export const RANGE_LABELS: Record<Range, string> = { "7d": "7 days", "30d": "30 days", "1y": "1 year", all: "All" };

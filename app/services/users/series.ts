/** The user charts' data: built by counts.server.ts, drawn by components/charts/UserCharts.tsx. */
import type { UserCountSnapshot } from "../../../db/schema/users";
import type { Range } from "./ranges";

export interface CountPoint {
  /** ms */
  t: number;
  total: number;
  active1d: number | null;
  active7d: number | null;
  active30d: number | null;
  /** null on a day rebuilt from creation times (deactivations before Steward's first count are unknown). */
  deactivated: number | null;
  /** True on a day rebuilt from account creation times on the first run (counts.server.ts). */
  rebuilt?: boolean;
}

export interface RegistrationPoint {
  /** ms: start of the bucket (UTC). */
  t: number;
  count: number;
}

export interface UserSeries {
  range: Range;
  counts: CountPoint[];
  registrations: RegistrationPoint[];
  /** "day" | "week" | "month": the bucket of `registrations`. */
  registrationBucket: "day" | "week" | "month";
}

/** The latest snapshot as a loader returns it (dates as ISO strings), for components/users/LatestCounts.tsx. */
export type CountSnapshotView = Omit<UserCountSnapshot, "takenAt"> & { takenAt: string };

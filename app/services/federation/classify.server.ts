/**
 * Destination health, as the reference (§3) defines it. A pure function of (destination, now): the collector,
 * the pages, the metrics and the tests all classify through here (and `stateSql`, its SQL mirror, which the
 * integration tests hold to the same answers).
 */
import { sql, type SQL, type AnyColumn } from "drizzle-orm";

export const DESTINATION_STATES = ["healthy", "backing_off", "retry_due", "dead"] as const;
export type DestinationState = (typeof DESTINATION_STATES)[number];

export const STATE_LABELS: Record<DestinationState, string> = {
  healthy: "Healthy",
  backing_off: "Backing off",
  retry_due: "Retry due",
  dead: "Dead",
};

/** Synapse's default `destination_max_retry_interval` (7 days): an interval at the cap means effectively dead. */
export const MAX_RETRY_INTERVAL_MS = 7 * 24 * 3600 * 1000;

/** The retry fields that decide the state. Null (Synapse before 1.98) counts as 0. */
export interface RetryTimings {
  retryLastTs: number | null;
  retryInterval: number | null;
  failureTs: number | null;
}

export interface Classification {
  state: DestinationState;
  /** ms when Synapse will next try on its own (backing off / dead while the interval runs); else null. */
  nextRetryAt: number | null;
  /** ms: start of the current failure run (failure_ts, or the last failed attempt when failure_ts is missing). */
  failingSince: number | null;
  /** The current backoff interval in ms (0 when healthy). */
  intervalMs: number;
}

export function classifyDestination(d: RetryTimings, now: number): Classification {
  const last = d.retryLastTs ?? 0;
  const interval = d.retryInterval ?? 0;
  if (last === 0) return { state: "healthy", nextRetryAt: null, failingSince: null, intervalMs: 0 };
  const retryAt = last + interval;
  const failingSince = d.failureTs ?? last;
  const waiting = now < retryAt;
  // Dead wins over backing off and retry due: at the cap, Synapse tries at most weekly.
  const state: DestinationState = interval >= MAX_RETRY_INTERVAL_MS ? "dead" : waiting ? "backing_off" : "retry_due";
  return { state, nextRetryAt: waiting ? retryAt : null, failingSince, intervalMs: interval };
}

export function isFailing(d: RetryTimings): boolean {
  return (d.retryLastTs ?? 0) !== 0;
}

/**
 * The same rules as classifyDestination, as a SQL expression over stored columns (bigint ms). Numbers are inlined
 * (they are ours, not input) so the expression is textually identical wherever it appears, e.g. in GROUP BY.
 */
export function stateSql(cols: { retryLastTs: AnyColumn; retryInterval: AnyColumn }, now: number): SQL<DestinationState> {
  const n = Math.floor(now);
  return sql<DestinationState>`case
    when ${cols.retryLastTs} = 0 then 'healthy'
    when ${cols.retryInterval} >= ${sql.raw(String(MAX_RETRY_INTERVAL_MS))} then 'dead'
    when ${sql.raw(String(n))} < ${cols.retryLastTs} + ${cols.retryInterval} then 'backing_off'
    else 'retry_due' end`;
}

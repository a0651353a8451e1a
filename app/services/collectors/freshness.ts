/** The stale-data banner's view of a collector (components/StaleBanner.tsx), computed by freshness.server.ts. */

/** Serialisable (ISO strings), so loaders can return it as is. */
export interface Freshness {
  collector: string;
  title: string;
  intervalSeconds: number;
  lastSuccessAt: string | null;
  /** The last successful run is older than two intervals. */
  stale: boolean;
  /** The newest run failed: its error (secret-free, from the run record). */
  lastError: string | null;
  lastErrorAt: string | null;
  running: boolean;
  /** Why collectors cannot run at all (no admin token yet), or null. */
  waiting: string | null;
}

/**
 * The stale-data banner for any report built on a collector: "collectors are waiting" when there is no admin
 * token, "stale since …" with the reason when the last success is older than two intervals, a notice when the
 * latest run failed, and "not collected yet" before the first success. Renders nothing when all is well.
 *
 *   const freshness = await collectorFreshness(db, config, "federation", now);   // in the loader
 *   <StaleBanner freshness={data.freshness} />                                    // in the page
 */
import type { Freshness } from "~/services/collectors/freshness";
import { Time } from "../Time";

function every(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

export function StaleBanner({ freshness: f }: { freshness: Freshness }) {
  if (f.waiting) {
    return (
      <div className="alert warn" role="status" data-testid="stale-banner">
        <strong>{f.title}: collectors are waiting, no admin token yet.</strong> {f.waiting}
        {f.lastSuccessAt ? (
          <>
            {" "}
            Showing data from <Time value={f.lastSuccessAt} />.
          </>
        ) : null}
      </div>
    );
  }
  if (f.stale) {
    return (
      <div className="alert error" role="status" data-testid="stale-banner">
        <strong>
          {f.title} are stale: last collected <Time value={f.lastSuccessAt} />
        </strong>{" "}
        (expected every {every(f.intervalSeconds)}).
        {f.lastError ? <> Last error: {f.lastError}</> : f.running ? " A collection is running now." : " No collection has run since."}
      </div>
    );
  }
  if (f.lastError) {
    return (
      <div className="alert warn" role="status" data-testid="stale-banner">
        The latest {f.title.toLowerCase()} collection failed (<Time value={f.lastErrorAt} />): {f.lastError}
        {f.lastSuccessAt ? (
          <>
            {" "}
            Showing data from <Time value={f.lastSuccessAt} />.
          </>
        ) : null}
      </div>
    );
  }
  if (!f.lastSuccessAt) {
    return (
      <div className="alert info" role="status" data-testid="stale-banner">
        {f.title}: {f.running ? "the first collection is running now." : "not collected yet. It runs on its schedule, or use “Refresh now”."}
      </div>
    );
  }
  return null;
}

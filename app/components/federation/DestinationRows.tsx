/**
 * The rows of the destinations list. Memoised for the same reason as the users list's rows: the page re-renders on
 * every router state change, and up to 1,000 unchanged rows need not.
 */
import { memo } from "react";
import { Ago } from "./Ago";
import { StateBadge } from "./StateBadge";
import { formatDuration } from "./states";
import { RowLink } from "~/components/client-nav";
import { useFirstRowsFirst } from "~/components/first-rows";

export interface DestinationRow {
  destination: string;
  state: string;
  failingSince: number | null;
  retryInterval: number | null;
  nextRetryAt: number | null;
}

/** Rows are one line (38 px); the state cards, the history chart and the filters above them take 600 px or more (864 at 1280 px wide). */
const GEOMETRY = { rowPx: 38, abovePx: 600 };

export const DestinationRows = memo(function DestinationRows({ rows, now }: { rows: DestinationRow[]; now: number }) {
  const shown = useFirstRowsFirst(rows, GEOMETRY);
  return (
    <>
      {shown.map((r) => (
        <tr key={r.destination}>
          <td className="mono">
            <RowLink to={`/federation/${encodeURIComponent(r.destination)}`}>{r.destination}</RowLink>
          </td>
          <td>
            <StateBadge state={r.state} />
          </td>
          <td>{r.failingSince ? <Ago ms={r.failingSince} now={now} /> : <span className="muted">—</span>}</td>
          <td>{r.retryInterval ? formatDuration(r.retryInterval) : <span className="muted">—</span>}</td>
          <td>
            {r.nextRetryAt ? (
              `in ${formatDuration(r.nextRetryAt - now)}`
            ) : r.state === "retry_due" ? (
              <span className="muted">with the next event</span>
            ) : (
              <span className="muted">—</span>
            )}
          </td>
        </tr>
      ))}
    </>
  );
});

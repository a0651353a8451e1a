/** The users and sessions of a bulk job: on the preview (what will happen) and on the progress page (what did). */
import { memo } from "react";
import { Time } from "~/components/Time";

export interface BulkItemRow {
  userId: string;
  deviceId: string;
  deviceName: string | null;
  lastSeenTs: number | null;
  lastSeenIp: string | null;
  /** On the progress page: the item's state in words, and why (left alone, failed). */
  state?: string;
  reason?: string | null;
}

// Memoised: a page re-renders whenever the router's state changes (a navigation starting, its data arriving),
// and this part's props, straight from the loader data, have not changed then.
export const BulkItemsTable = memo(function BulkItemsTable({ rows, showSession }: { rows: BulkItemRow[]; showSession: boolean }) {
  return (
    <table data-testid="bulk-items" className="compact">
      <thead>
        <tr>
          <th>User</th>
          {showSession ? <th>Session</th> : null}
          <th>Last seen</th>
          {showSession ? <th>IP address</th> : null}
          {rows.some((r) => r.state) ? <th>Outcome</th> : null}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={`${r.userId}\u0000${r.deviceId}`}>
            <td className="mono">
              <a href={`/users/${encodeURIComponent(r.userId)}`}>{r.userId}</a>
            </td>
            {showSession ? (
              <td>
                <span className="mono">{r.deviceId}</span>
                {r.deviceName ? (
                  <div className="small muted">
                    <bdi>{r.deviceName}</bdi>
                  </div>
                ) : null}
              </td>
            ) : null}
            <td>
              <Time value={r.lastSeenTs} never="never seen" />
            </td>
            {showSession ? <td className="mono small">{r.lastSeenIp ?? "not known"}</td> : null}
            {r.state ? (
              <td>
                {r.state}
                {r.reason ? <div className="small muted">{r.reason}</div> : null}
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
});

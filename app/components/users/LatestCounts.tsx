/** Every category of the latest user-count snapshot; what the server cannot tell says why instead of 0. */
import type { CountSnapshotView as Snapshot } from "~/services/users/series";
type CountKey = Exclude<keyof Snapshot, "id" | "takenAt" | "runId" | "unavailable" | "serverVersion">;

const ROWS: Array<[CountKey, string, string?]> = [
  ["total", "Accounts", "every account the server lists, deactivated included"],
  ["active1d", "Active in the last day"],
  ["active7d", "Active in the last 7 days"],
  ["active30d", "Active in the last 30 days"],
  ["neverSeen", "Never seen", "not deactivated, never made an authenticated request"],
  ["created1d", "Created in the last day"],
  ["created7d", "Created in the last 7 days"],
  ["created30d", "Created in the last 30 days"],
  ["deactivated", "Deactivated"],
  ["locked", "Locked"],
  ["guests", "Guests"],
  ["admins", "Server admins"],
  ["regular", "Regular users (no user type)"],
  ["bots", "Bots"],
  ["support", "Support"],
  ["otherTypes", "Other user types"],
  ["shadowBanned", "Shadow-banned"],
];

const fmt = new Intl.NumberFormat("en-GB");

export function LatestCounts({ snapshot }: { snapshot: Snapshot }) {
  return (
    <section className="panel" aria-labelledby="latest-counts">
      <h2 id="latest-counts" style={{ fontSize: "1rem", marginTop: 0 }}>
        Latest counts{snapshot.serverVersion ? ` (Synapse ${snapshot.serverVersion})` : ""}
      </h2>
      <table data-testid="latest-counts">
        <tbody>
          {ROWS.map(([key, label, hint]) => {
            const value = snapshot[key];
            return (
              <tr key={key} data-count={key}>
                <td>
                  {label}
                  {hint ? <div className="small muted">{hint}</div> : null}
                </td>
                <td style={{ textAlign: "right" }}>{value === null ? <span className="muted">n/a</span> : fmt.format(value)}</td>
                <td className="small muted">{value === null ? snapshot.unavailable[key] ?? "Not available on this server." : ""}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

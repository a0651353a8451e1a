/**
 * Per-user rows with a drill-down listing each session and its state. The checkboxes belong to the nudge form
 * (GET /security/nudge?user=…). Display names are homeserver data: plain text only.
 */
import { Time } from "../Time";
import { CheckBadge } from "./CheckBadge";
import { DEVICE_STATE_TEXT, SOURCE_TEXT } from "./checks";

export interface PostureRowView {
  userId: string;
  displayname: string | null;
  category: string;
  crossSigning: string;
  recovery: string;
  keyBackup: string;
  noUnverifiedSessions: string;
  fullySecured: string;
  backupSource: string;
  backupVersion: string | null;
  backupKeyCount: number | null;
  devices: number;
  unverifiedDevices: number;
  staleDevices: number;
  noKeyDevices: number;
  deviceList: Array<{ id: string; name: string | null; lastSeenTs: number | null; state: string; stale: boolean }> | null;
  notes: Record<string, string> | null;
}

export function PostureTable({ rows, formId }: { rows: PostureRowView[]; formId: string }) {
  if (!rows.length) return <p className="muted">No users match these filters.</p>;
  return (
    <table data-testid="posture-table">
      <thead>
        <tr>
          <th scope="col" aria-label="Select" />
          <th scope="col">User</th>
          <th scope="col">Verdict</th>
          <th scope="col">Checks</th>
          <th scope="col">Sessions</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.userId} data-user={r.userId}>
            <td>
              <input type="checkbox" name="user" value={r.userId} form={formId} aria-label={`Select ${r.userId}`} />
            </td>
            <td>
              <div>{r.userId}</div>
              {r.displayname ? <div className="small muted">{r.displayname}</div> : null}
              {r.category !== "active" ? <span className="badge">{r.category}</span> : null}
            </td>
            <td>
              <CheckBadge check="fully_secured" status={r.fullySecured} />
            </td>
            <td>
              <CheckBadge check="cross_signing" status={r.crossSigning} note={r.notes?.cross_signing} />{" "}
              <CheckBadge check="recovery" status={r.recovery} note={r.notes?.recovery} />{" "}
              <CheckBadge check="key_backup" status={r.keyBackup} note={r.notes?.key_backup} />{" "}
              <CheckBadge check="no_unverified_sessions" status={r.noUnverifiedSessions} note={r.notes?.devices} />
              <div className="small muted">
                Backup: {SOURCE_TEXT[r.backupSource] ?? r.backupSource}
                {r.backupVersion ? `, version ${r.backupVersion}${r.backupKeyCount !== null ? `, ${r.backupKeyCount} keys` : ""}` : ""}
              </div>
            </td>
            <td>
              <details>
                <summary>
                  {r.devices} session{r.devices === 1 ? "" : "s"}
                  {r.unverifiedDevices ? `, ${r.unverifiedDevices} unverified` : ""}
                  {r.staleDevices ? `, ${r.staleDevices} stale` : ""}
                  {r.noKeyDevices ? `, ${r.noKeyDevices} without keys` : ""}
                </summary>
                {r.deviceList?.length ? (
                  <ul className="small">
                    {r.deviceList.map((d) => (
                      <li key={d.id} data-device={d.id} data-state={d.state}>
                        <code>{d.id}</code> {d.name ? `“${d.name}”` : null} — {DEVICE_STATE_TEXT[d.state] ?? d.state}
                        {d.stale ? " (stale)" : ""}, last seen <Time value={d.lastSeenTs} />
                      </li>
                    ))}
                  </ul>
                ) : (
                  <p className="small muted">No sessions.</p>
                )}
                {r.notes && Object.keys(r.notes).length ? (
                  <ul className="small muted">
                    {Object.entries(r.notes).map(([k, v]) => (
                      <li key={k}>
                        {k.replace(/_/g, " ")}: {v}
                      </li>
                    ))}
                  </ul>
                ) : null}
              </details>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

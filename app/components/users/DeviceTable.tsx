/** A user's devices as the homeserver reports them (names and user agents are untrusted text). */
import { LastSeenCells } from "./LastSeenCells";
import { isStewardDevice } from "~/services/auth/steward-device";

export interface DeviceRow {
  deviceId: string;
  displayName: string | null;
  lastSeenTs: string | null;
  lastSeenIp: string | null;
  lastSeenUserAgent: string | null;
  dehydrated: boolean;
}

/** `signOutHref` gives each device a "Sign out…" link to its confirmation page (null: no link for that device). */
export function DeviceTable({ devices, signOutHref }: { devices: DeviceRow[]; signOutHref?: (deviceId: string) => string | null }) {
  if (!devices.length) return <p className="muted">No devices (the user is signed in nowhere).</p>;
  return (
    <table data-testid="devices-table">
      <thead>
        <tr>
          <th>Device</th>
          <th>Last seen</th>
          <th>IP address</th>
          <th>User agent</th>
          {signOutHref ? <th>Action</th> : null}
        </tr>
      </thead>
      <tbody>
        {devices.map((d) => (
          <tr key={d.deviceId}>
            <td>
              <span className="mono">{d.deviceId}</span>
              {d.dehydrated ? <span className="badge">dehydrated</span> : null}
              {isStewardDevice(d.displayName) ? (
                <span className="badge info" data-testid="steward-device" title="A sign-in to Steward with a password" style={{ marginLeft: ".4rem" }}>
                  Steward
                </span>
              ) : null}
              {d.displayName ? (
                <div className="small muted" style={{ overflowWrap: "anywhere" }}>
                  <bdi>{d.displayName}</bdi>
                </div>
              ) : null}
            </td>
            <LastSeenCells at={d.lastSeenTs} never="never" ip={d.lastSeenIp} userAgent={d.lastSeenUserAgent} />
            {signOutHref ? (
              <td>
                {signOutHref(d.deviceId) ? (
                  <a href={signOutHref(d.deviceId)!} aria-label={`Sign out session ${d.deviceId}…`}>
                    Sign out…
                  </a>
                ) : (
                  <span className="muted small">this Steward session</span>
                )}
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * A user's sessions in the Matrix Authentication Service: apps signed in through it, password sign-ins, browser
 * sessions on its own pages and personal access tokens (names and user agents are untrusted text).
 */
import { Time } from "../Time";
import { LastSeenCells } from "./LastSeenCells";

export interface MasSessionRow {
  key: string;
  kind: string;
  label: string;
  deviceId: string | null;
  lastActiveTs: string | null;
  createdTs: string | null;
  ip: string | null;
  userAgent: string | null;
  canSignOut: boolean;
  /** One of Steward's own sign-ins (no link: sign out of Steward instead). */
  own: boolean;
}

const KIND_TEXT: Record<string, string> = {
  oauth2: "app",
  compat: "password sign-in",
  browser: "browser",
  personal: "personal access token",
};

export function MasSessionTable({ rows, truncated, signOutHref }: { rows: MasSessionRow[]; truncated: boolean; signOutHref: ((key: string) => string) | null }) {
  if (!rows.length) return <p className="muted">No active sessions: the user is signed in nowhere.</p>;
  return (
    <>
      <table data-testid="mas-sessions">
        <thead>
          <tr>
            <th>Session</th>
            <th>Kind</th>
            <th>Last active</th>
            <th>IP address</th>
            <th>User agent</th>
            {signOutHref ? <th>Action</th> : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <tr key={s.key} data-session={s.key}>
              <td style={{ overflowWrap: "anywhere" }}>
                <bdi>{s.label}</bdi>
                {s.createdTs ? (
                  <div className="small muted">
                    started <Time value={s.createdTs} />
                  </div>
                ) : null}
              </td>
              <td className="small">{KIND_TEXT[s.kind] ?? s.kind}</td>
              <LastSeenCells at={s.lastActiveTs} never="not yet" ip={s.ip} userAgent={s.userAgent} />
              {signOutHref ? (
                <td>
                  {s.own ? (
                    <span className="muted small">a Steward sign-in of yours</span>
                  ) : !s.canSignOut ? (
                    <span className="muted small" title="Personal access tokens are revoked where they were made; Steward may be using one for its background collection.">
                      not from here
                    </span>
                  ) : (
                    <a href={signOutHref(s.key)} aria-label={`Sign out ${s.label}…`}>
                      Sign out…
                    </a>
                  )}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {truncated ? <p className="small muted">The authentication service has more sessions for this user than Steward lists; the oldest are shown.</p> : null}
    </>
  );
}

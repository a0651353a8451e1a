/** A user's security posture on their page (/users/:userId): verdicts, sessions, history and nudges. */
import { Link } from "@remix-run/react";
import { Time } from "../Time";
import { CheckBadge } from "./CheckBadge";
import { DEVICE_STATE_TEXT, SOURCE_TEXT } from "./checks";
import { SignOutUnverifiedLink, sessionActionHref, type PostureRowView } from "./PostureTable";

export interface PosturePanelData {
  scanAt: string;
  keyQueryLimited: boolean;
  row: (PostureRowView & { scannedAt: string }) | null;
  history: Array<{ at: string; fullySecured: string }>;
  /** The scan's stale threshold: adds the session actions (issue 15) when given. */
  staleDays?: number;
  nudges: Array<{ at: string; actor: string; status: string; error: string | null }>;
}

const HISTORY_WORD: Record<string, string> = { ok: "fully secured", missing: "not fully secured", unknown: "unknown" };

export function PosturePanel({ data, userId, deactivated = false, guest = false }: { data: PosturePanelData | null; userId: string; deactivated?: boolean; guest?: boolean }) {
  // A deactivated account has no posture verdict and cannot be nudged (issue 14, item 16).
  if (deactivated || data?.row?.category === "deactivated") {
    return (
      <p className="muted" data-testid="posture-deactivated">
        Deactivated: a deactivated account has no security verdict and cannot be nudged.
      </p>
    );
  }
  if (!data) return <p className="muted">No security scan yet.</p>;
  const r = data.row;
  if (!r)
    return (
      <p className="muted">
        Not in the latest scan (<Time value={data.scanAt} />){guest ? ": guests are not scanned." : ": the next scan includes this account."}
      </p>
    );
  return (
    <div data-testid="posture-panel">
      <p>
        <CheckBadge check="fully_secured" status={r.fullySecured} /> <CheckBadge check="cross_signing" status={r.crossSigning} note={r.notes?.cross_signing} />{" "}
        <CheckBadge check="recovery" status={r.recovery} note={r.notes?.recovery} /> <CheckBadge check="key_backup" status={r.keyBackup} note={r.notes?.key_backup} />{" "}
        <CheckBadge check="no_unverified_sessions" status={r.noUnverifiedSessions} />
      </p>
      <p className="small muted">
        Scanned <Time value={r.scannedAt} />. Key backup: {SOURCE_TEXT[r.backupSource] ?? r.backupSource}
        {r.backupVersion ? `, version ${r.backupVersion}` : ""}.{data.keyQueryLimited ? " Key queries were limited to shared rooms (msc4263)." : ""}
      </p>
      {r.deviceList?.length ? (
        <ul className="small">
          {r.deviceList.map((d) => (
            <li key={d.id} data-device={d.id} data-state={d.state}>
              <code>{d.id}</code> {d.name ? <>“<bdi>{d.name}</bdi>”</> : null} — {DEVICE_STATE_TEXT[d.state] ?? d.state}
              {d.stale ? " (stale)" : ""}
              {data.staleDays !== undefined && d.state === "unverified" ? <SignOutUnverifiedLink userId={userId} deviceId={d.id} /> : null}
            </li>
          ))}
        </ul>
      ) : null}
      {data.staleDays !== undefined && r.staleDevices ? (
        <p className="small">
          <a href={sessionActionHref(userId, `action=sign-out-stale&days=${data.staleDays}`)}>
            Sign out the {r.staleDevices === 1 ? "stale session" : `${r.staleDevices} stale sessions`}…
          </a>
        </p>
      ) : null}
      {data.history.length > 1 ? (
        <p className="small muted">
          Recent scans, newest first: {data.history.map((h) => HISTORY_WORD[h.fullySecured] ?? h.fullySecured).join(" · ")}
        </p>
      ) : null}
      <p className="small">
        {data.nudges.length ? (
          <>
            Last nudged <Time value={data.nudges[0].at} /> by <bdi>{data.nudges[0].actor}</bdi> ({data.nudges[0].status}).{" "}
          </>
        ) : (
          "Never nudged. "
        )}
        {r.fullySecured !== "ok" ? <Link to={`/security/nudge?user=${encodeURIComponent(userId)}`}>Nudge this user</Link> : null}
      </p>
    </div>
  );
}

/**
 * The report as a compact table: one row per user, one column per check (an icon and a word), the sessions and
 * the details (each session's state, where the backup state came from, the reasons behind "unknown") on expand.
 * The checkboxes belong to the nudge form (GET /security/nudge?user=…). Display names are homeserver data: plain
 * text, isolated from the text around them.
 */
import { memo } from "react";
import { Time } from "../Time";
import { LazyDetails } from "../LazyDetails";
import { useFirstRowsFirst } from "../first-rows";
import { CHECK_NAMES, CHECK_TEXT, DEVICE_STATE_TEXT, SOURCE_TEXT, type CheckKey, type Status } from "./checks";

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

const COLUMN_OF: Record<CheckKey, keyof PostureRowView> = {
  fully_secured: "fullySecured",
  cross_signing: "crossSigning",
  recovery: "recovery",
  key_backup: "keyBackup",
  no_unverified_sessions: "noUnverifiedSessions",
};
const NOTE_OF: Partial<Record<CheckKey, string>> = { cross_signing: "cross_signing", recovery: "recovery", key_backup: "key_backup", no_unverified_sessions: "devices" };
/** Short column heads; the full name is the header's title. */
const HEAD: Record<CheckKey, string> = {
  fully_secured: "Verdict",
  cross_signing: "Cross-signing",
  recovery: "Recovery",
  key_backup: "Key backup",
  no_unverified_sessions: "Sessions verified",
};
const CELL: Record<Status, { icon: string; word: string; cls: string }> = {
  ok: { icon: "✓", word: "OK", cls: "ok" },
  missing: { icon: "✗", word: "Missing", cls: "bad" },
  unknown: { icon: "?", word: "Unknown", cls: "warn" },
};
const NOTE_LABEL: Record<string, string> = { cross_signing: "Cross-signing", recovery: "Recovery", key_backup: "Key backup", devices: "Sessions" };

function statusOf(v: string): Status {
  return v === "ok" || v === "missing" ? v : "unknown";
}

/** One check's verdict in a cell: icon + word, the reason (if any) on hover. */
function CheckCell({ check, status, note }: { check: CheckKey; status: string; note?: string }) {
  const s = statusOf(status);
  const c = CELL[s];
  const word = check === "fully_secured" && s !== "unknown" ? (s === "ok" ? "Secured" : "Not secured") : c.word;
  return (
    <td className={`check-cell ${c.cls}`} data-check={check} data-status={s} title={note ? `${CHECK_TEXT[check].label}: ${note}` : CHECK_TEXT[check].label}>
      <span aria-hidden="true" className="check-icon">
        {c.icon}
      </span>{" "}
      {word}
    </td>
  );
}

function sessionsSummary(r: PostureRowView): string {
  const extra = [r.unverifiedDevices ? `${r.unverifiedDevices} unverified` : "", r.staleDevices ? `${r.staleDevices} stale` : "", r.noKeyDevices ? `${r.noKeyDevices} without keys` : ""].filter(Boolean);
  return `${r.devices}${extra.length ? ` (${extra.join(", ")})` : ""}`;
}

/** The confirmation page of a session action on the user's page (issue 15). */
export function sessionActionHref(userId: string, q: string): string {
  return `/users/${encodeURIComponent(userId)}/act?${q}`;
}

/** "Sign out…" beside an unverified session (the report's rows and a user's panel); `named`: say whose, in a list of many. */
export function SignOutUnverifiedLink({ userId, deviceId, named = false }: { userId: string; deviceId: string; named?: boolean }) {
  return (
    <>
      {" "}
      <a href={sessionActionHref(userId, `action=sign-out-device&device=${encodeURIComponent(deviceId)}`)} aria-label={`Sign out unverified session ${deviceId}${named ? ` of ${userId}` : ""}…`}>
        Sign out…
      </a>
    </>
  );
}

/**
 * Rows are one line (30 px); the cards, the history chart and the filters above them take 950 px or more: the first
 * row starts at 1,072 px on any window 1,280 px wide or wider, lower on narrower ones, ~50 px higher without the
 * account-data note.
 */
const GEOMETRY = { rowPx: 30, abovePx: 950 };

/** `staleDays` (the scan's) adds "Sign out…" beside each unverified session and "Sign out stale sessions…" per user. */
// Memoised: a page re-renders whenever the router's state changes (a navigation starting, its data arriving),
// and this part's props, straight from the loader data, have not changed then.
export const PostureTable = memo(function PostureTable({ rows, formId, staleDays }: { rows: PostureRowView[]; formId: string; staleDays?: number }) {
  const shown = useFirstRowsFirst(rows, GEOMETRY);
  if (!rows.length) return <p className="muted">No users match these filters.</p>;
  return (
    <table data-testid="posture-table" className="compact posture-table">
      <thead>
        <tr>
          <th scope="col">
            <span className="visually-hidden">Select</span>
          </th>
          <th scope="col">User</th>
          {CHECK_NAMES.map((c) => (
            <th scope="col" key={c} title={CHECK_TEXT[c].help}>
              {HEAD[c]}
            </th>
          ))}
          <th scope="col">Sessions and details</th>
        </tr>
      </thead>
      <tbody>
        {shown.map((r) => (
          <tr key={r.userId} data-user={r.userId}>
            <td>
              <input type="checkbox" name="user" value={r.userId} form={formId} aria-label={`Select ${r.userId}`} />
            </td>
            <td className="user-cell">
              <bdi>{r.userId}</bdi>
              {r.displayname ? (
                <>
                  {" "}
                  <span className="small muted name" title={r.displayname}>
                    <bdi>{r.displayname}</bdi>
                  </span>
                </>
              ) : null}
              {r.category !== "active" ? (
                <>
                  {" "}
                  <span className="badge">{r.category}</span>
                </>
              ) : null}
            </td>
            {CHECK_NAMES.map((c) => (
              <CheckCell key={c} check={c} status={String(r[COLUMN_OF[c]])} note={NOTE_OF[c] ? r.notes?.[NOTE_OF[c]!] : undefined} />
            ))}
            <td>
              <LazyDetails summary={sessionsSummary(r)}>
                {() => (
                  <div className="small">
                    {r.deviceList?.length ? (
                      <ul>
                        {r.deviceList.map((d) => (
                          <li key={d.id} data-device={d.id} data-state={d.state}>
                            <code>{d.id}</code> {d.name ? <bdi>“{d.name}”</bdi> : null} — {DEVICE_STATE_TEXT[d.state] ?? d.state}
                            {d.stale ? " (stale)" : ""}, last seen <Time value={d.lastSeenTs} />
                            {staleDays !== undefined && d.state === "unverified" ? <SignOutUnverifiedLink userId={r.userId} deviceId={d.id} named /> : null}
                          </li>
                        ))}
                      </ul>
                    ) : (
                      <p className="muted">No sessions.</p>
                    )}
                    {staleDays !== undefined && r.staleDevices ? (
                      <p>
                        <a href={sessionActionHref(r.userId, `action=sign-out-stale&days=${staleDays}`)}>
                          Sign out the {r.staleDevices === 1 ? "stale session" : `${r.staleDevices} stale sessions`}…
                        </a>
                      </p>
                    ) : null}
                    <p className="muted">
                      Key backup: {SOURCE_TEXT[r.backupSource] ?? r.backupSource}
                      {r.backupVersion ? `, version ${r.backupVersion}${r.backupKeyCount !== null ? `, ${r.backupKeyCount} keys` : ""}` : ""}
                    </p>
                    {r.notes && Object.keys(r.notes).length ? (
                      <ul className="muted">
                        {Object.entries(r.notes).map(([k, v]) => (
                          <li key={k}>
                            {NOTE_LABEL[k] ?? k.replace(/_/g, " ")}: {v}
                          </li>
                        ))}
                      </ul>
                    ) : null}
                  </div>
                )}
              </LazyDetails>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
});

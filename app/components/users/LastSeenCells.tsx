/**
 * The last-seen, IP address and user agent cells of a session row, shared by the homeserver's device table and
 * MAS's session table so both show a session's whereabouts alike. The IP and user agent come from the client and
 * are untrusted text (hence <bdi> and `overflowWrap`).
 */
import { Time } from "../Time";

/** `never` is what the time cell says when there is no time: the two tables word it differently. */
export function LastSeenCells({ at, never, ip, userAgent }: { at: string | null; never: string; ip: string | null; userAgent: string | null }) {
  return (
    <>
      <td>
        <Time value={at} never={never} />
      </td>
      <td className="mono small">{ip ?? <span className="muted">unknown</span>}</td>
      <td className="small" style={{ overflowWrap: "anywhere", maxWidth: "40ch" }}>
        {userAgent ? <bdi>{userAgent}</bdi> : <span className="muted">unknown</span>}
      </td>
    </>
  );
}

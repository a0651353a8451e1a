/**
 * The audit log as sentences (issue 14, item 11): when, what happened (who did what to what, identifiers drawn
 * whole and isolated from the text around them), details in words, how it ended, and the users a bulk action
 * touched behind a disclosure.
 */
import { memo } from "react";
import { Link } from "@remix-run/react";
import { Time } from "../Time";
import { OUTCOME_WORDS, type AuditLine, type AuditPart } from "~/services/audit/types";

const OUTCOME_BADGE: Record<string, string> = { ok: "ok", error: "bad", refused: "warn", pending: "pending" };

/**
 * A `pending` entry was written before its action reached the homeserver (decision 009) and is settled in place to
 * done or failed; one that stays pending is an action still running or one a crash interrupted, which the next
 * repair settles. Said in words, not only in a colour.
 */
const PENDING_NOTE = "In progress, or interrupted and awaiting repair: Steward settles it once it knows the outcome.";

function Part({ part }: { part: AuditPart }) {
  if (typeof part === "string") return <>{part}</>;
  const inner = <bdi className="ident">{part.id}</bdi>;
  return part.href ? <Link to={part.href}>{inner}</Link> : inner;
}

// Memoised: a page re-renders whenever the router's state changes (a navigation starting, its data arriving),
// and this part's props, straight from the loader data, have not changed then.
export const AuditTable = memo(function AuditTable({ lines }: { lines: AuditLine[] }) {
  return (
    <table data-testid="audit-table">
      <thead>
        <tr>
          <th>When</th>
          <th>What happened</th>
          <th>Outcome</th>
        </tr>
      </thead>
      <tbody>
        {lines.map((l) => (
          <tr key={l.id} data-audit={l.id}>
            <td style={{ whiteSpace: "nowrap" }}>
              <Time value={l.at} />
            </td>
            <td>
              <div data-testid="audit-sentence">
                {l.sentence.map((p, i) => (
                  <Part key={i} part={p} />
                ))}
                .
              </div>
              {l.details.length ? <div className="small muted">{l.details.map((d, i) => <bdi key={i}>{(i ? "; " : "") + d}</bdi>)}</div> : null}
              {l.users?.length ? (
                <details className="small">
                  <summary>
                    {l.users.length === 1 ? "1 user" : `${l.users.length.toLocaleString("en")} users`}: show who
                  </summary>
                  <ul data-testid="audit-users">
                    {l.users.map((u) => (
                      <li key={u.userId}>
                        <Link to={`/users/${encodeURIComponent(u.userId)}`}>
                          <bdi className="ident">{u.userId}</bdi>
                        </Link>{" "}
                        <span className="muted">({u.result})</span>
                      </li>
                    ))}
                  </ul>
                </details>
              ) : null}
            </td>
            <td>
              <span className={`badge ${OUTCOME_BADGE[l.outcome] ?? ""}`} title={l.outcome === "pending" ? PENDING_NOTE : undefined}>
                {OUTCOME_WORDS[l.outcome] ?? l.outcome}
              </span>
              {l.outcome === "pending" ? <div className="muted small">in progress or awaiting repair</div> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
});

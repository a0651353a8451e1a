/**
 * Who used a token: the accounts created through Steward's /register (with when), and how many registered elsewhere
 * (Synapse counts those but does not record who they are).
 */
import { Time } from "~/components/Time";
import { RowLink } from "~/components/client-nav";

export function UsedByList({ named, outside }: { named: { userId: string; at: number }[]; outside: number }) {
  if (!named.length && !outside) return <span className="muted">nobody yet</span>;
  return (
    <>
      {named.length ? (
        <ul className="plain" style={{ margin: 0, paddingLeft: 0, listStyle: "none" }}>
          {named.map((u) => (
            <li key={u.userId} data-testid="used-by-user">
              <RowLink to={`/users/${encodeURIComponent(u.userId)}`} className="mono">
                <bdi>{u.userId}</bdi>
              </RowLink>{" "}
              <span className="muted small">
                registered <Time value={u.at} />
              </span>
            </li>
          ))}
        </ul>
      ) : null}
      {outside ? (
        <div className="muted small" data-testid="used-by-outside">
          {named.length ? `${outside} more` : outside} registered outside Steward (in a Matrix app with the token typed in); Synapse does not record who.
        </div>
      ) : null}
    </>
  );
}

/** The list's short form under "Completed": how many of them Steward can name. */
export function UsedByCount({ named, completed }: { named: number; completed: number }) {
  if (!completed) return null;
  const outside = Math.max(0, completed - named);
  return (
    <div className="muted small" data-testid="used-by-count">
      {named ? `${named} via Steward` : null}
      {named && outside ? ", " : null}
      {outside ? `${outside} outside` : null}
    </div>
  );
}

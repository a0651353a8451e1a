/** The user page's actions: each a link to its confirmation page (which says exactly what will happen). */
export interface OfferedAction {
  action: string;
  label: string;
}

/** `unavailable`: actions this homeserver's account service does not offer, each said with its reason. */
export function UserActionsPanel({
  actions,
  base,
  note,
  unavailable = [],
  adminMeaning = null,
}: {
  actions: OfferedAction[];
  base: string;
  note: string | null;
  unavailable?: Array<OfferedAction & { reason: string }>;
  adminMeaning?: string | null;
}) {
  return (
    <section className="panel" aria-labelledby="actions-h" data-testid="user-actions">
      <h2 id="actions-h" style={{ fontSize: "1rem", marginTop: 0 }}>
        Actions
      </h2>
      {note ? <p className="muted">{note}</p> : null}
      {!note && !actions.length ? <p className="muted">No action applies to this account.</p> : null}
      {actions.length ? (
        <ul style={{ listStyle: "none", padding: 0, display: "flex", flexWrap: "wrap", gap: ".5rem" }}>
          {actions.map((a) => (
            <li key={a.action}>
              <a className={`button ${a.action === "deactivate" || a.action === "lock" ? "danger" : "secondary"}`} href={`${base}?action=${a.action}`}>
                {a.label}…
              </a>
            </li>
          ))}
        </ul>
      ) : null}
      {!note && adminMeaning && actions.some((a) => a.action === "make-admin" || a.action === "remove-admin") ? <p className="small muted">{adminMeaning}</p> : null}
      {!note && unavailable.length ? (
        <ul className="small muted" data-testid="actions-unavailable">
          {unavailable.map((a) => (
            <li key={a.action}>
              {a.label}: not offered here. {a.reason}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

/** The user page's actions: each a link to its confirmation page (which says exactly what will happen). */
export interface OfferedAction {
  action: string;
  label: string;
}

export function UserActionsPanel({ actions, base, note }: { actions: OfferedAction[]; base: string; note: string | null }) {
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
    </section>
  );
}

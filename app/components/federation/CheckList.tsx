/** The self-check's results: one row per check with its status, what was found, and how to fix it. */
export interface CheckRow {
  id: string;
  title: string;
  status: string;
  summary: string;
  fix: string | null;
  target?: string;
}

const BADGE: Record<string, string> = { pass: "ok", warn: "warn", fail: "bad", skip: "" };

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge ${BADGE[status] ?? ""}`}>{status}</span>;
}

export function CheckList({ results }: { results: CheckRow[] }) {
  return (
    <table data-testid="self-check-results">
      <thead>
        <tr>
          <th>Check</th>
          <th>Result</th>
          <th>What we found</th>
          <th>How to fix it</th>
        </tr>
      </thead>
      <tbody>
        {results.map((r) => (
          <tr key={r.id} data-check={r.id} data-status={r.status}>
            <td>
              {r.title}
              {r.target ? <div className="mono small muted">{r.target}</div> : null}
            </td>
            <td>
              <StatusBadge status={r.status} />
            </td>
            <td>{r.summary}</td>
            <td className="small">{r.fix ?? <span className="muted">—</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

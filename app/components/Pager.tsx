/** Previous/next paging that keeps the other query parameters (filters, search) intact. */
import { Link, useLocation } from "@remix-run/react";

export function Pager({ page, pageSize, total }: { page: number; pageSize: number; total: number }) {
  const location = useLocation();
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const href = (p: number) => {
    const params = new URLSearchParams(location.search);
    params.set("page", String(p));
    return `${location.pathname}?${params}`;
  };
  return (
    <nav className="pager" aria-label="Pages">
      {page > 1 ? <Link to={href(page - 1)}>← Newer</Link> : <span className="muted">← Newer</span>}
      <span className="muted small">
        Page {Math.min(page, pages)} of {pages} · {total} in all
      </span>
      {page < pages ? <Link to={href(page + 1)}>Older →</Link> : <span className="muted">Older →</span>}
    </nav>
  );
}

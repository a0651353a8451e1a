/**
 * Previous/next paging that keeps the other query parameters (filters, search) intact. "Previous / Next" by default;
 * lists sorted by time (the audit log) say "Newer / Older". A page past the end says so and links to the last page.
 */
import { Link, useLocation } from "@remix-run/react";

export function Pager({ page, pageSize, total, order = "any" }: { page: number; pageSize: number; total: number; order?: "any" | "newest-first" }) {
  const location = useLocation();
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const href = (p: number) => {
    const params = new URLSearchParams(location.search);
    params.set("page", String(p));
    return `${location.pathname}?${params}`;
  };
  const [prev, next] = order === "newest-first" ? ["← Newer", "Older →"] : ["← Previous", "Next →"];
  return (
    <>
      {page > pages && total > 0 ? (
        <p className="alert info" role="status" data-testid="past-the-end">
          Page {page} is past the end: there {pages === 1 ? "is 1 page" : `are ${pages} pages`}. <Link to={href(pages)}>Go to the last page ({pages})</Link>
        </p>
      ) : null}
      <nav className="pager" aria-label="Pages">
        {page > 1 ? <Link to={href(Math.min(page - 1, pages))} rel="prev">{prev}</Link> : <span className="muted">{prev}</span>}
        <span className="muted small">
          Page {Math.min(page, pages)} of {pages} · {total} in all
        </span>
        {page < pages ? <Link to={href(page + 1)} rel="next">{next}</Link> : <span className="muted">{next}</span>}
      </nav>
    </>
  );
}

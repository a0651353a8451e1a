/**
 * "Rows per page: 50 · 100 · 500 · 1,000" for a long list: plain links (they work without JavaScript) that keep the
 * other query parameters, set `size` and go back to the first page. The loader remembers the choice per admin.
 */
import { Link, useLocation } from "@remix-run/react";
import { PAGE_SIZES } from "~/services/lists/page-size";

const fmt = new Intl.NumberFormat("en-GB");

export function PageSize({ current }: { current: number }) {
  const location = useLocation();
  const href = (size: number) => {
    const params = new URLSearchParams(location.search);
    params.set("size", String(size));
    params.delete("page");
    return `${location.pathname}?${params}`;
  };
  return (
    <nav className="page-size small" aria-label="Rows per page" data-testid="page-size">
      <span className="muted">Rows per page:</span>
      {PAGE_SIZES.map((size) =>
        size === current ? (
          <strong key={size} aria-current="true" data-size={size}>
            {fmt.format(size)}
          </strong>
        ) : (
          <Link key={size} to={href(size)} data-size={size}>
            {fmt.format(size)}
          </Link>
        ),
      )}
    </nav>
  );
}

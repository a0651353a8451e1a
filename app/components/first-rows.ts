/**
 * A list's rows drawn in two passes on a client-side navigation: the rows the window shows first, in the commit that
 * shows the page, and the rest once that frame is painted (issue 18, decision 029).
 *
 * Why: after a click, drawing a page costs React's render of every row and Chromium's style and layout of them, and
 * a 50-row list (900 elements on the security page) is most of a navigation's time on a slow host; 1,000 rows are
 * most of a second. Only the first screenful is seen at once. The rest follows in a transition (interruptible: a
 * click meanwhile is not kept waiting), a frame later.
 *
 * A page the server rendered (the first load, or no JavaScript) has every row in its HTML and hydrates it as is;
 * find-in-page, printing and "select all" see the whole list a frame after a navigation. Going back or forward draws
 * every row at once, so the scroll position can be restored.
 */
import { useNavigationType } from "@remix-run/react";
import { startTransition, useEffect, useMemo, useState } from "react";

/** Where a list sits: its least row height, and the least height of the page above its first row, in pixels. */
export interface ListGeometry {
  rowPx: number;
  abovePx: number;
}

/**
 * The rows drawn first: as many as the window shows of the list when the page is at its top, counted at the list's
 * least row height (one line of text) below the least height of what the page puts above it (header, cards, chart,
 * filters: more on a narrower window, never less), and at least one. The first screenful is whole on any window.
 */
export function firstRowsFor({ rowPx, abovePx }: ListGeometry): number {
  const height = typeof window === "undefined" ? 1080 : window.innerHeight;
  return Math.max(1, Math.ceil((height - abovePx) / rowPx));
}

/** True once the app has hydrated (root sets the attribute in its first effect), i.e. during client-side navigations. */
export const appHydrated = () => typeof document !== "undefined" && document.documentElement.dataset.hydrated === "true";

export function useFirstRowsFirst<T>(rows: T[], geometry: ListGeometry): T[] {
  // Back and forward restore the page's scroll position in the commit that shows it: every row must be there to
  // scroll to (the first screenful alone would leave the admin near the top of a page they had scrolled down).
  const restoring = useNavigationType() === "POP";
  const firstCount = () => (appHydrated() && !restoring ? firstRowsFor(geometry) : rows.length);
  const [drawn, setDrawn] = useState(() => ({ rows, count: firstCount() }));
  let count = drawn.count;
  if (drawn.rows !== rows) {
    // New rows (the next page, a search, a refresh): their first rows first, again.
    count = firstCount();
    setDrawn({ rows, count });
  }
  useEffect(() => {
    if (count >= rows.length) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // After the next frame is painted, not before it: the first rows are on screen first.
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => startTransition(() => setDrawn((d) => (d.rows === rows ? { rows, count: rows.length } : d))));
    });
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, [rows, count]);
  return useMemo(() => (count >= rows.length ? rows : rows.slice(0, count)), [rows, count]);
}

/**
 * Links drawn by the hundred (a list's rows) as plain anchors, navigated client-side by one listener on the page.
 *
 * Remix's <Link> runs a dozen hooks per link (resolving the path, the prefetch behaviour, the click handler): on a
 * 50-row list they were a measurable part of drawing the page after a navigation, on a 1,000-row page far more
 * (issue 18; bench/profile-nav.ts). A `RowLink` is an <a href> with an absolute path: without JavaScript it is an
 * ordinary link; with it, `useClientNavigation` (in the app shell) turns a plain left click into the router's
 * navigation, as <Link> would. Modified clicks (new tab, new window, download) stay the browser's. `data-discover`
 * lets Remix's route discovery learn the link's route ahead of the click, as it does for <Link>.
 */
import { useNavigate } from "@remix-run/react";
import { useEffect, type AnchorHTMLAttributes } from "react";
import { appLink } from "./preload";

export function RowLink({ to, ...rest }: { to: string } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, "href">) {
  return <a href={to} data-discover="true" data-client-nav="" {...rest} />;
}

/** The row link a click should open client-side, or null when the click is the browser's to handle. */
function clientNavTarget(e: MouseEvent): HTMLAnchorElement | null {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return null;
  const a = appLink(e.target);
  return a?.hasAttribute("data-client-nav") ? a : null;
}

export function useClientNavigation(): void {
  const navigate = useNavigate();
  useEffect(() => {
    const onClick = (e: MouseEvent) => {
      const a = clientNavTarget(e);
      if (!a) return;
      e.preventDefault();
      navigate(a.pathname + a.search + a.hash);
    };
    document.addEventListener("click", onClick);
    return () => document.removeEventListener("click", onClick);
  }, [navigate]);
}

/**
 * The baseline page's document: what every Remix page has (meta, links, scroll restoration, scripts) and nothing of
 * Steward's (no query client, no menus, no styles beyond a few lines).
 */
import { Links, Meta, Outlet, Scripts, ScrollRestoration } from "@remix-run/react";
import { useEffect } from "react";

export default function Root() {
  // As Steward's root does: the benchmark's probe counts the page as interactive from this effect on.
  useEffect(() => {
    document.documentElement.dataset.hydrated = "true";
  }, []);
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Baseline</title>
        <Meta />
        <Links />
        <style>{"body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{padding:.25rem .5rem;border-bottom:1px solid #ddd;text-align:left}"}</style>
      </head>
      <body>
        <Outlet />
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

import type { LinksFunction, MetaFunction } from "@remix-run/node";
import { Links, Meta, Outlet, Scripts, ScrollRestoration, isRouteErrorResponse, useLocation, useRouteError } from "@remix-run/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import styles from "./styles/app.css";
import { useNonce } from "./components/nonce";
import { Stylesheet } from "./components/stylesheet";

// The stylesheet is written into the page (decision 035), not linked.
export const links: LinksFunction = () => [{ rel: "icon", href: "/favicon.png", type: "image/png", sizes: "32x32" }];

export const meta: MetaFunction = () => [{ title: "Steward" }, { name: "robots", content: "noindex" }];

export function Layout({ children }: { children: React.ReactNode }) {
  const nonce = useNonce();
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Stylesheet href={styles} />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  const [queryClient] = useState(() => new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } } }));
  // Hydrated: event handlers are attached. Browser tests and the screens benchmark wait for it ("interactive").
  useEffect(() => {
    document.documentElement.dataset.hydrated = "true";
  }, []);
  return (
    <QueryClientProvider client={queryClient}>
      <Outlet />
    </QueryClientProvider>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const { pathname } = useLocation();
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const text = isRouteErrorResponse(error)
    ? typeof error.data === "string"
      ? // Remix's own "Error: No route matches URL …" is for developers; a route's 404 says what was not found.
        /^Error: No route matches URL/.test(error.data)
        ? `Steward has no page at ${pathname}.`
        : error.data
      : // Loaders throw json({ error: "<a sentence>" }) for a refusal they can explain: show the sentence.
        typeof (error.data as { error?: unknown } | null)?.error === "string"
        ? (error.data as { error: string }).error
        : error.statusText
    : "Something went wrong inside Steward. The error has been logged.";
  return (
    <main className="error-page">
      <h1>{status === 404 ? "Page not found" : status === 503 ? "Steward's database is unavailable" : `Error ${status}`}</h1>
      <p>{text}</p>
      <p>
        <a href="/">Back to the overview</a>
      </p>
    </main>
  );
}

/**
 * Loads a page's JavaScript ahead of a click: its route module and the chunks it imports (the overview's chart code
 * among them), as <link rel="modulepreload">, so the navigation waits only for its data. Called when the pointer
 * rests on (or the keyboard focuses) a navigation link, and by the sign-in page for the page it leads to. Only
 * modules: Remix's `prefetch="intent"` would also fetch the page's data ahead, which the `no-store` loaders cannot
 * reuse, so the server would be asked twice per click (issue 18).
 */
const PAGE_ROUTE: Record<string, string> = {
  "/": "routes/_app._index",
  "/tokens": "routes/_app.tokens._index",
  "/users": "routes/_app.users._index",
  "/federation": "routes/_app.federation._index",
  "/security": "routes/_app.security._index",
  "/audit": "routes/_app.audit",
};

const preloaded = new Set<string>();

export function preloadPage(path: string): void {
  if (typeof window === "undefined") return;
  const manifest = (window as unknown as { __remixManifest?: { routes: Record<string, { module: string; imports?: string[] }> } }).__remixManifest;
  const route = manifest?.routes[PAGE_ROUTE[path.split("?")[0]]];
  if (!route) return;
  for (const href of [route.module, ...(route.imports ?? [])]) {
    if (preloaded.has(href) || document.querySelector(`link[href="${href}"], script[src="${href}"]`)) continue;
    preloaded.add(href);
    const link = document.createElement("link");
    link.rel = "modulepreload";
    link.href = href;
    document.head.appendChild(link);
  }
}

/**
 * Loads a page's JavaScript ahead of a click: the route modules its URL matches and the chunks they import (the
 * overview's chart code among them), as <link rel="modulepreload">, so the navigation waits only for its data.
 * Called when the pointer rests on (or the keyboard focuses) any in-app link (`usePreloadOnIntent`, one listener
 * for the whole page: the main menu, a user's row, a token, a destination), and by the sign-in page for the page it
 * leads to. Only modules: Remix's `prefetch="intent"` would also fetch the page's data ahead, which the `no-store`
 * loaders cannot reuse, so the server would be asked twice per click (issue 18).
 *
 * Routes are matched against Remix's client manifest, which holds the routes of the links on the page once Remix
 * has discovered them (lazy route discovery asks the server for them shortly after each page is shown); a link
 * whose route is not known yet is simply not preloaded, and its click loads the module as before.
 */
import { matchRoutes } from "@remix-run/react";
import { createElement, useEffect } from "react";

export type ManifestRoute = { id: string; parentId?: string; path?: string; index?: boolean; module: string; imports?: string[]; hasLoader?: boolean; hasClientLoader?: boolean };
type Manifest = { routes: Record<string, ManifestRoute> };
// What matchRoutes takes (react-router's route object type, which @remix-run/react does not re-export).
type RouteObject = Parameters<typeof matchRoutes>[0][number];

const preloaded = new Set<string>();
let tree: { size: number; routes: RouteObject[] } | null = null;

/** The manifest's routes as a route tree for matchRoutes, rebuilt when discovery has added routes. */
function routeTree(manifest: Manifest): RouteObject[] {
  const all = Object.values(manifest.routes);
  if (tree?.size === all.length) return tree.routes;
  const byParent = new Map<string | undefined, ManifestRoute[]>();
  for (const r of all) byParent.set(r.parentId, [...(byParent.get(r.parentId) ?? []), r]);
  const build = (parentId: string | undefined): RouteObject[] =>
    (byParent.get(parentId) ?? []).map((r) => (r.index ? { id: r.id, index: true, path: r.path } : { id: r.id, path: r.path, children: build(r.id) }));
  tree = { size: all.length, routes: build(undefined) };
  return tree.routes;
}

/** The client manifest's routes a path matches, outermost first (none when the manifest does not know it yet). */
export function manifestMatches(path: string): ManifestRoute[] {
  if (typeof window === "undefined") return [];
  const manifest = (window as unknown as { __remixManifest?: Manifest }).__remixManifest;
  if (!manifest) return [];
  const matches = matchRoutes(routeTree(manifest), path.split(/[?#]/)[0]) ?? [];
  return matches.flatMap((m) => manifest.routes[m.route.id!] ?? []);
}

export function preloadPage(path: string): void {
  for (const route of manifestMatches(path)) {
    for (const href of [route.module, ...(route.imports ?? [])]) {
      if (preloaded.has(href) || document.querySelector(`link[href="${href}"], script[src="${href}"]`)) continue;
      preloaded.add(href);
      const link = document.createElement("link");
      link.rel = "modulepreload";
      link.href = href;
      document.head.appendChild(link);
    }
  }
}

/**
 * The sign-in page's preload of the page it leads to. That page has no link on the sign-in page, so Remix's lazy
 * route discovery learns its route only from a `RouteHint`; until the manifest knows it, try again. The modules are
 * also run (imported), not only fetched: after signing in, the navigation finds them ready (issue 18: sign-in → a
 * page waited ~85 ms for them, then for its data); and a module's `handle.warmUp`, if it has one, runs when the browser is idle.
 */
export function usePreloadAfterSignIn(path: string): void {
  useEffect(() => {
    let tries = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const attempt = () => {
      const routes = manifestMatches(path);
      if (!routes.length) {
        if (++tries < 50) timer = setTimeout(attempt, 100);
        return;
      }
      preloadPage(path);
      for (const module of runModules(routes)) void module.then(warmUpWhenIdle, () => undefined);
    };
    attempt();
    return () => clearTimeout(timer);
  }, [path]);
}

/** What this file reads of a route module once it has run: its `handle`. */
type RouteModule = { handle?: { warmUp?: unknown } };

/**
 * Runs routes' modules ahead of their navigation (the fetch alone, a modulepreload, leaves compiling and running them
 * to the click): importing a module that has run already is a lookup, so the navigation's own import finds it ready.
 * Route modules only define things when they run.
 */
export function runModules(routes: ManifestRoute[]): Promise<RouteModule>[] {
  return routes.map((route) => import(/* webpackIgnore: true */ route.module) as Promise<RouteModule>);
}

/**
 * A route module may have a `handle.warmUp`: work that makes its page's first drawing faster (the overview's charts,
 * components/users/warm-up-charts.tsx), run once the browser is idle, while the admin is still typing.
 */
function warmUpWhenIdle(mod: RouteModule): void {
  if (typeof mod.handle?.warmUp !== "function") return;
  const warmUp = mod.handle.warmUp as () => void;
  if ("requestIdleCallback" in window) requestIdleCallback(() => warmUp(), { timeout: 2_000 });
  else setTimeout(warmUp, 200);
}

/**
 * Lets Remix's route discovery learn the route of a page this page leads to without a link to it: discovery reads
 * the `action` of any form marked `data-discover`. The form is hidden and empty: nothing to see or submit.
 */
export function RouteHint({ path }: { path: string }) {
  return createElement("form", { hidden: true, "aria-hidden": true, "data-discover": "true", action: path, method: "get" });
}

/** The in-app link an event happened on, if any (same origin, not a download or a new tab). */
export function appLink(target: EventTarget | null): HTMLAnchorElement | null {
  const a = target instanceof Element ? target.closest("a[href]") : null;
  if (!(a instanceof HTMLAnchorElement) || a.origin !== location.origin || a.hasAttribute("download") || a.target === "_blank") return null;
  return a;
}

/** Preloads the modules of whatever in-app link the pointer rests on or the keyboard focuses. */
export function usePreloadOnIntent(): void {
  useEffect(() => {
    const onIntent = (e: Event) => {
      const a = appLink(e.target);
      if (a) preloadPage(a.pathname);
    };
    document.addEventListener("pointerover", onIntent, { passive: true });
    document.addEventListener("focusin", onIntent);
    return () => {
      document.removeEventListener("pointerover", onIntent);
      document.removeEventListener("focusin", onIntent);
    };
  }, []);
}

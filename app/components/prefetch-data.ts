/**
 * A page's data asked for while the pointer rests on its link, and handed to the navigation its click starts
 * (issue 18, decision 028).
 *
 * Remix's `prefetch="intent"` fetches a page's data on hover too, but as a <link rel="prefetch"> the navigation
 * cannot reuse (the loaders answer `no-store`), so the server would be asked twice per click. Here the answer is kept
 * in memory instead, and a route opts in by exporting `clientLoader = prefetchedLoader`: when the router then loads
 * that route for a GET navigation to exactly the prefetched URL, the clientLoader takes the answer (or the request
 * still in flight) instead of asking again. Anything else — another URL, a revalidation, a navigation after a form
 * post, an answer older than MAX_AGE_MS, a redirect, an error, anything but a plain JSON 200 — falls back to the
 * server as before, so a prefetch can make a click faster, never wrong.
 *
 * Intent is a pointer resting REST_MS on an in-app link or on the submit button of a GET form (a search's "Apply"),
 * Remix's own threshold for `prefetch="intent"`; a pointer sweeping across a list asks for nothing. Only one answer is
 * kept: the latest intent's. Keyboard focus preloads modules only (preload.ts): tabbing through a list is not intent.
 */
import type { ClientLoaderFunctionArgs } from "@remix-run/react";
import { useEffect } from "react";
import { appLink, manifestMatches, runModules } from "./preload";

export const REST_MS = 100;
/** How long an answer may wait for its click: the time between a resting pointer and a click is well under this. */
export const MAX_AGE_MS = 5_000;

/** An answer read in full as it arrives: an unread body would hold its connection open (and a test's "network idle"). */
interface Answer {
  status: number;
  redirected: boolean;
  headers: Headers;
  body: string;
}
interface Prefetched {
  key: string;
  at: number;
  answer: Promise<Answer | null>;
}
let kept: Prefetched | null = null;

type RouterState = {
  navigation: { state: string; location?: { pathname: string; search: string }; formMethod?: string };
  revalidation: string;
  fetchers: Map<string, { formMethod?: string }>;
};
type Router = { state: RouterState; subscribe(fn: (state: RouterState) => void): () => void };
const router = () => (typeof window === "undefined" ? undefined : (window as unknown as { __remixRouter?: Router }).__remixRouter);

/** A URL's identity for matching a prefetch to a navigation: path and query, without Remix's own parameters. */
export function pageKey(pathname: string, search: string): string {
  const params = new URLSearchParams(search);
  params.delete("_data");
  params.delete("index");
  const q = params.toString();
  return q ? `${pathname}?${q}` : pathname;
}

const isPost = (method: string | undefined) => method !== undefined && method.toUpperCase() !== "GET";

/** Asks for a page's data ahead of its click, if its route takes prefetched data and nothing is being submitted. */
export function prefetchData(href: string): void {
  const r = router();
  if (!r || r.state.navigation.state !== "idle") return;
  const url = new URL(href, location.href);
  const key = pageKey(url.pathname, url.search);
  if (kept && kept.key === key && Date.now() - kept.at < MAX_AGE_MS) return;
  const routes = manifestMatches(url.pathname);
  const leaf = routes.at(-1);
  if (!leaf?.hasLoader || !leaf.hasClientLoader) return;
  url.hash = "";
  url.searchParams.delete("index");
  url.searchParams.set("_data", leaf.id);
  const answer = fetch(url.href, { credentials: "same-origin" })
    .then(async (res) => ({ status: res.status, redirected: res.redirected, headers: res.headers, body: await res.text() }))
    .catch(() => null);
  kept = { key, at: Date.now(), answer };
  // The page's modules too, while its data is on the way: the click then neither runs them nor waits a task for them.
  for (const module of runModules(routes)) void module.catch(() => undefined);
}

/** Forgets the kept answer: called when anything is posted, since the answer may predate what the post changed. */
export function forgetPrefetched(): void {
  kept = null;
}

/** The kept answer's data for this loader call, or undefined when the call must ask the server itself. */
async function takePrefetched(request: Request): Promise<unknown> {
  const entry = kept;
  kept = null; // one use, and any navigation makes an older intent moot
  if (!entry || Date.now() - entry.at > MAX_AGE_MS) return undefined;
  const url = new URL(request.url);
  const nav = router()?.state.navigation;
  // Only a GET navigation to the prefetched URL: not a revalidation (after a post, or "Refresh now").
  if (!nav || nav.state !== "loading" || !nav.location || isPost(nav.formMethod)) return undefined;
  if (pageKey(nav.location.pathname, nav.location.search) !== entry.key || pageKey(url.pathname, url.search) !== entry.key) return undefined;
  const res = await entry.answer;
  if (!res || res.status !== 200 || res.redirected || !/\bapplication\/json\b/.test(res.headers.get("Content-Type") ?? "")) return undefined;
  for (const h of ["X-Remix-Redirect", "X-Remix-Error", "X-Remix-Catch", "X-Remix-Reload-Document"]) if (res.headers.has(h)) return undefined;
  try {
    return JSON.parse(res.body) as unknown;
  } catch {
    return undefined;
  }
}

/** A route's clientLoader: the prefetched answer when it fits this navigation, else the server's loader as usual. */
export async function prefetchedLoader({ request, serverLoader }: ClientLoaderFunctionArgs): Promise<unknown> {
  const data = await takePrefetched(request);
  return data !== undefined ? data : serverLoader();
}

/** The submit button of a GET form the pointer is on, or null. */
function getFormButton(target: EventTarget | null): HTMLButtonElement | HTMLInputElement | null {
  const button = target instanceof Element ? target.closest('button, input[type="submit"]') : null;
  if (!(button instanceof HTMLButtonElement || button instanceof HTMLInputElement) || button.type !== "submit") return null;
  const form = button.form;
  return form && form.method.toLowerCase() === "get" && form.target !== "_blank" ? button : null;
}

/** The URL a GET form's submit button would navigate to now (in this app), or null. */
function formTarget(button: HTMLButtonElement | HTMLInputElement): string | null {
  const form = button.form;
  if (!form) return null;
  const url = new URL(form.action, location.href);
  if (url.origin !== location.origin) return null;
  const params = new URLSearchParams();
  for (const [k, v] of new FormData(form, button)) if (typeof v === "string") params.append(k, v);
  url.search = params.toString();
  return url.href;
}

/**
 * One listener for the page (the app shell): a pointer resting REST_MS on an in-app link or a GET form's submit
 * button asks for that page's data; moving off, pressing or clicking first cancels. Any post forgets the kept answer.
 */
export function usePrefetchDataOnRest(): void {
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let over: Element | null = null;
    const cancel = () => {
      clearTimeout(timer);
      timer = undefined;
      over = null;
    };
    const onOver = (e: PointerEvent) => {
      const a = appLink(e.target);
      const el = a ?? getFormButton(e.target);
      if (el === over) return;
      cancel();
      if (!el) return;
      over = el;
      timer = setTimeout(() => {
        timer = undefined;
        // A form is read when the rest is over: what was typed meanwhile counts.
        const href = el instanceof HTMLAnchorElement ? el.href : formTarget(el);
        if (href) prefetchData(href);
      }, REST_MS);
    };
    const onOut = (e: PointerEvent) => {
      if (over && !(e.relatedTarget instanceof Node && over.contains(e.relatedTarget))) cancel();
    };
    document.addEventListener("pointerover", onOver, { passive: true });
    document.addEventListener("pointerout", onOut, { passive: true });
    document.addEventListener("pointerdown", cancel, { passive: true });
    // Forgotten on any post: the router's (a form, a fetcher), a form posted by script ("Refresh now"), and any
    // revalidation (what follows a change).
    const onSubmit = (e: SubmitEvent) => {
      if (e.target instanceof HTMLFormElement && e.target.method.toLowerCase() !== "get") forgetPrefetched();
    };
    document.addEventListener("submit", onSubmit, { capture: true });
    const unsubscribe = router()?.subscribe((state) => {
      if (isPost(state.navigation.formMethod) || state.revalidation !== "idle" || [...state.fetchers.values()].some((f) => isPost(f.formMethod))) forgetPrefetched();
    });
    return () => {
      cancel();
      document.removeEventListener("pointerover", onOver);
      document.removeEventListener("pointerout", onOut);
      document.removeEventListener("pointerdown", cancel);
      document.removeEventListener("submit", onSubmit, { capture: true });
      unsubscribe?.();
    };
  }, []);
}

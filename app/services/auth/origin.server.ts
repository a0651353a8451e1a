/**
 * The same-origin check of every mutation (admin actions, the public invite form, the Express guard in front of
 * Remix): a request whose `Origin` names another site is refused. One function, so the three places cannot
 * disagree.
 *
 * Which host counts as "ours":
 * - TRUST_PROXY on and an `X-Forwarded-Host`: its first value (a proxy that rewrites `Host` to Steward's internal
 *   address puts the public one there), and the scheme must match the first `X-Forwarded-Proto` when one is sent.
 * - Otherwise `Host`. `X-Forwarded-Host` is then untrusted (anyone can send it), so it can never make a foreign
 *   Origin acceptable; but Remix's own check compares the Origin with `X-Forwarded-Host` whenever one is present
 *   (and answers a 500 when they differ), so a mismatch is refused here too, as a plain 403.
 * A request without `Origin` passes this check: the CSRF token decides. `Origin: null` is refused: a browser sends it
 * from a sandboxed frame or a page with `Referrer-Policy: no-referrer` — never from Steward's own pages (their policy
 * is same-origin) — and it was the way around the check for the sign-in form (login CSRF).
 */

type Header = (name: string) => string | null | undefined;

const first = (v: string | null | undefined) => v?.split(",")[0]?.trim() || undefined;

export function originAllowed(header: Header, trustProxy: boolean): boolean {
  const origin = header("origin");
  if (!origin) return true;
  if (origin === "null") return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const forwardedHost = first(header("x-forwarded-host"));
  if (trustProxy && forwardedHost) {
    const proto = first(header("x-forwarded-proto"))?.toLowerCase();
    return url.host === forwardedHost && (!proto || url.protocol === `${proto}:`);
  }
  const host = header("host");
  return Boolean(host) && url.host === host && (!forwardedHost || forwardedHost === url.host);
}

/** The same check for a Fetch API request (Remix loaders and actions). */
export function requestOriginAllowed(request: Request, trustProxy: boolean): boolean {
  return originAllowed((name) => request.headers.get(name), trustProxy);
}

/** The signed-in shell: navigation, the admin and the homeserver in the header, sign-out. */
import type { LoaderFunctionArgs } from "@remix-run/node";
import type { ShouldRevalidateFunction } from "@remix-run/react";
import { json } from "@remix-run/node";
import { Form, NavLink, Outlet, useLoaderData } from "@remix-run/react";
import { requireAdmin } from "~/services/auth/guard.server";
import { maskToken } from "~/services/auth/crypto.server";
import type { AppShellData } from "~/components/CsrfInput";
import { usePreloadOnIntent } from "~/components/preload";
import { useClientNavigation } from "~/components/client-nav";
import { usePrefetchDataOnRest } from "~/components/prefetch-data";
import { dateTimeUtc } from "~/services/format/time";
import { StewardDevicesLink } from "~/components/auth/StewardDevices";

export async function loader(args: LoaderFunctionArgs) {
  const { session, steward } = await requireAdmin(args);
  const binding = steward.homeserverBinding;
  const data: AppShellData = {
    userId: session.userId,
    serverName: session.userId.slice(session.userId.indexOf(":") + 1),
    serverVersion: session.serverVersion,
    homeserverUrl: session.homeserverUrl,
    // Masked per response (BREACH): the token's bytes never repeat across pages.
    csrfToken: maskToken(session.csrfToken),
    stewardDevices: session.stewardDevices,
    previousHomeserver: binding?.previousUrl && binding.changedAt ? { url: binding.previousUrl, changedAt: binding.changedAt.getTime() } : null,
  };
  return json(data, { headers: { "Cache-Control": "no-store" } });
}

/**
 * The shell's data (who is signed in, the homeserver, the CSRF token) does not change while the admin moves between
 * pages: it is loaded again only after a form post (an action may sign out or rotate it), not on every navigation,
 * which saves a request per click (issue 18). Every page's own loader still checks the session.
 */
export const shouldRevalidate: ShouldRevalidateFunction = ({ formMethod, defaultShouldRevalidate }) =>
  formMethod !== undefined && formMethod.toUpperCase() !== "GET" ? defaultShouldRevalidate : false;

const NAV: [string, string][] = [
  ["/", "Overview"],
  ["/tokens", "Tokens"],
  ["/users", "Users"],
  ["/federation", "Federation"],
  ["/security", "Security"],
  ["/audit", "Audit"],
];
export default function AppShell() {
  const shell = useLoaderData<typeof loader>();
  usePreloadOnIntent();
  usePrefetchDataOnRest();
  useClientNavigation();
  return (
    <>
      <header className="app-header">
        <a href="/" className="brand">
          Steward
        </a>
        <nav className="app-nav" aria-label="Main">
          {NAV.map(([to, label]) => (
            <NavLink key={to} to={to} end={to === "/"} className={({ isActive }) => (isActive ? "active" : undefined)}>
              {label}
            </NavLink>
          ))}
        </nav>
        <div className="whoami">
          <span title={shell.homeserverUrl} data-testid="homeserver">
            {shell.serverName}
            {shell.serverVersion ? ` · Synapse ${shell.serverVersion}` : ""}
          </span>
          <span data-testid="admin-user">{shell.userId}</span>
          <StewardDevicesLink userId={shell.userId} count={shell.stewardDevices} />
          <Form method="post" action="/logout">
            <input type="hidden" name="csrf" value={shell.csrfToken} />
            <button type="submit">Sign out</button>
          </Form>
        </div>
      </header>
      <main className="content">
        {shell.previousHomeserver ? (
          <div className="alert info" role="status" data-testid="previous-homeserver">
            Steward now manages {shell.homeserverUrl}. What it stored before {dateTimeUtc(shell.previousHomeserver.changedAt)} — counts, history, reports and the
            audit log — belongs to the previous homeserver, {shell.previousHomeserver.url}, not to this one.
          </div>
        ) : null}
        <Outlet />
      </main>
    </>
  );
}

/** The signed-in shell: navigation, the admin and the homeserver in the header, sign-out. */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, NavLink, Outlet, useLoaderData } from "@remix-run/react";
import { requireAdmin } from "~/services/auth/guard.server";
import type { AppShellData } from "~/components/CsrfInput";

export async function loader(args: LoaderFunctionArgs) {
  const { session } = await requireAdmin(args);
  const data: AppShellData = {
    userId: session.userId,
    serverName: session.userId.slice(session.userId.indexOf(":") + 1),
    serverVersion: session.serverVersion,
    homeserverUrl: session.homeserverUrl,
    csrfToken: session.csrfToken,
  };
  return json(data, { headers: { "Cache-Control": "no-store" } });
}

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
          <Form method="post" action="/logout">
            <input type="hidden" name="csrf" value={shell.csrfToken} />
            <button type="submit">Sign out</button>
          </Form>
        </div>
      </header>
      <main className="content">
        <Outlet />
      </main>
    </>
  );
}

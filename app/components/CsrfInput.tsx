import { useRouteLoaderData } from "@remix-run/react";

export interface AppShellData {
  userId: string;
  serverName: string;
  serverVersion: string | null;
  homeserverUrl: string;
  csrfToken: string;
  /** Set when HOMESERVER_URL changed: the stored history before `changedAt` (epoch ms) belongs to `url`. */
  previousHomeserver: { url: string; changedAt: number } | null;
  /** Devices of the admin's account carrying Steward's name, as last counted (null: not known). */
  stewardDevices: number | null;
}

/** The signed-in shell's data (admin, homeserver, CSRF token), for any component under the shell. */
export function useShellData(): AppShellData {
  const data = useRouteLoaderData("routes/_app") as AppShellData | undefined;
  if (!data) throw new Error("useShellData used outside the signed-in shell");
  return data;
}

/** Every mutating form carries the session's CSRF token; actions refuse a form without it. */
export function CsrfInput() {
  const { csrfToken } = useShellData();
  return <input type="hidden" name="csrf" value={csrfToken} />;
}

/**
 * A user's page under the Matrix Authentication Service (issue 16, item 6): MAS's account state (lock,
 * deactivation, permission to request admin access) and MAS's sessions, live. Each live call that fails is
 * reported beside its section in words; the rest of the page still renders.
 */
import { describeHomeserverError } from "../../homeserver";
import { isMasAdminError } from "../../homeserver/mas/admin-http";
import type { BackendAccount, BackendSession, UserActionsBackend } from "./actions/backend";
import type { Actor } from "./actions/rules";
import { masNoAccount } from "./actions/target.server";
import { sessionLabel } from "./actions/mas-words";

export type MasLive<T> = { ok: true; value: T } | { ok: false; error: string; notFound: boolean };

export interface SessionView {
  key: string;
  kind: BackendSession["kind"];
  /** The session in words (its app or device). */
  label: string;
  deviceId: string | null;
  clientId: string | null;
  name: string | null;
  createdTs: string | null;
  lastActiveTs: string | null;
  ip: string | null;
  userAgent: string | null;
  canSignOut: boolean;
}

export interface MasUserView {
  account: MasLive<BackendAccount>;
  sessions: MasLive<{ rows: SessionView[]; truncated: boolean }>;
}

async function masLive<T>(call: () => Promise<T>, notFoundText: string): Promise<MasLive<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (e) {
    if (e instanceof Response) throw e;
    if (isMasAdminError(e, "not_found")) return { ok: false, error: notFoundText, notFound: true };
    return { ok: false, error: isMasAdminError(e) ? e.message : describeHomeserverError(e), notFound: false };
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Most recently active first; never-active sessions last. */
export function sessionViews(sessions: BackendSession[]): SessionView[] {
  return sessions
    .map((s) => ({
      key: s.key,
      kind: s.kind,
      label: sessionLabel(s),
      deviceId: s.deviceId,
      clientId: s.clientId,
      name: s.name,
      createdTs: iso(s.createdTs),
      lastActiveTs: iso(s.lastActiveTs),
      ip: s.ip,
      userAgent: s.userAgent,
      canSignOut: s.canSignOut,
    }))
    .sort((a, b) => (b.lastActiveTs ?? "").localeCompare(a.lastActiveTs ?? ""));
}

export async function loadMasUserView(backend: UserActionsBackend, userId: string): Promise<MasUserView> {
  const [account, sessions] = await Promise.all([
    masLive(async () => {
      const a = await backend.account(userId);
      // Only a MAS backend is asked here, and it always answers with MAS's own state.
      if (!a) throw new Error("no account state");
      return a;
    }, masNoAccount(userId)),
    masLive(async () => {
      const r = await backend.sessions(userId);
      return { rows: sessionViews(r.sessions), truncated: r.truncated };
    }, masNoAccount(userId)),
  ]);
  return { account, sessions };
}

/** What the user page renders: each session marked when it is one of Steward's own sign-ins (no sign-out link). */
export function masPageView(mas: MasUserView, actor: Actor) {
  return {
    account: mas.account,
    sessions: mas.sessions.ok
      ? { ok: true as const, truncated: mas.sessions.value.truncated, rows: mas.sessions.value.rows.map((r) => ({ ...r, own: actor.ownSessions?.includes(r.key) ?? false })) }
      : { ok: false as const, error: mas.sessions.error },
  };
}

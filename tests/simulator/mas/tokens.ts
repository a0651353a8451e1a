// Sessions and tokens (mas-api.md §1.2, §2.3, §2.6): issuing OAuth 2.0 token pairs, whether an access token is
// active (and for which session and user), finishing sessions, and what introspection answers.
import { normalizeScope } from "./policy";
import type { MasContext } from "./http";
import {
  newToken,
  scopeList,
  ulid,
  userValid,
  type MasAccessToken,
  type MasOAuthSession,
  type MasState,
  type MasUser,
  type SessionRef,
} from "./state";

export interface ActiveToken {
  token: MasAccessToken;
  scope: string;
  user: MasUser | null;
  /** The compat session's device, for introspection's device_id. */
  deviceId: string | null;
  session: SessionRef;
}

/** The access token when it is usable now; null when unknown, revoked, expired, its session ended or its user invalid. */
export function activeAccessToken(state: MasState, raw: string, now: number): ActiveToken | null {
  const t = state.accessTokens.get(raw);
  if (!t || t.revoked_at !== null || (t.expires_at !== null && now >= t.expires_at)) return null;
  if (t.session.kind === "oauth2") {
    const s = state.oauth2Sessions.get(t.session.id);
    if (!s || s.finished_at !== null) return null;
    const user = s.user_id ? state.users.get(s.user_id) : undefined;
    if (s.user_id && !userValid(user)) return null;
    return { token: t, scope: s.scope, user: user ?? null, deviceId: null, session: t.session };
  }
  if (t.session.kind === "compat") {
    const s = state.compatSessions.get(t.session.id);
    const user = s ? state.users.get(s.user_id) : undefined;
    if (!s || s.finished_at !== null || !userValid(user)) return null;
    return { token: t, scope: "urn:matrix:client:api:*", user, deviceId: s.device_id, session: t.session };
  }
  const p = state.personalSessions.get(t.session.id);
  if (!p || p.revoked_at !== null || (p.expires_at !== null && now >= p.expires_at)) return null;
  const actor = state.users.get(p.actor_user_id);
  if (!actor || actor.deactivated_at !== null) return null;
  if (p.owner_user_id && !userValid(state.users.get(p.owner_user_id))) return null;
  return { token: t, scope: p.scope, user: actor, deviceId: null, session: t.session };
}

export const accessTtlMs = (mas: MasContext) => mas.state.accessTokenTtlS * 1000;

/** A new access + refresh pair for an OAuth 2.0 session. */
export function issuePair(mas: MasContext, session: MasOAuthSession, now: number): { access: string; refresh: string } {
  const access = newToken("mat");
  const refresh = newToken("mar");
  mas.state.accessTokens.set(access, {
    token: access,
    session: { kind: "oauth2", id: session.id },
    created_at: now,
    expires_at: now + accessTtlMs(mas),
    revoked_at: null,
  });
  mas.state.refreshTokens.set(refresh, {
    token: refresh,
    session_id: session.id,
    access_token: access,
    created_at: now,
    consumed_at: null,
    next: null,
    revoked_at: null,
  });
  return { access, refresh };
}

export function newOAuthSession(state: MasState, clientId: string, user: MasUser | null, userSessionId: string | null, scope: string, now: number): MasOAuthSession {
  const s: MasOAuthSession = {
    id: ulid(now),
    client_id: clientId,
    user_id: user?.id ?? null,
    user_session_id: userSessionId,
    scope,
    created_at: now,
    finished_at: null,
    user_agent: null,
    last_active_at: null,
    last_active_ip: null,
    human_name: null,
  };
  state.oauth2Sessions.set(s.id, s);
  return s;
}

/** The Matrix device an OAuth session's scope names, if any. */
export function deviceOfScope(scope: string): string | null {
  for (const s of scopeList(scope)) {
    const m = /^urn:matrix:(?:client|org\.matrix\.msc2967\.client):device:(.+)$/.exec(s);
    if (m) return m[1];
  }
  return null;
}

/** Finishes an OAuth 2.0 session: both tokens die, and its device leaves Synapse (SyncDevicesJob). */
export function finishOAuthSession(mas: MasContext, s: MasOAuthSession, now: number): void {
  if (s.finished_at !== null) return;
  s.finished_at = now;
  const user = s.user_id ? mas.state.users.get(s.user_id) : undefined;
  const device = deviceOfScope(s.scope);
  if (user && device) mas.hooks.removeDevice(user.username, device);
}

export function finishCompatSession(mas: MasContext, id: string, now: number): void {
  const s = mas.state.compatSessions.get(id);
  if (!s || s.finished_at !== null) return;
  s.finished_at = now;
  const user = mas.state.users.get(s.user_id);
  if (user && s.device_id) mas.hooks.removeDevice(user.username, s.device_id);
}

/** Records activity on the calling session (admin API calls and introspection do this). */
export function touch(state: MasState, ref: SessionRef, now: number, ip: string): void {
  const s = ref.kind === "oauth2" ? state.oauth2Sessions.get(ref.id) : ref.kind === "compat" ? state.compatSessions.get(ref.id) : state.personalSessions.get(ref.id);
  if (s) Object.assign(s, { last_active_at: now, last_active_ip: ip });
}

/** POST /oauth2/introspect's answer for a token. */
export function introspection(state: MasState, raw: string, now: number): Record<string, unknown> {
  const active = activeAccessToken(state, raw, now);
  if (!active) return { active: false };
  const out: Record<string, unknown> = {
    active: true,
    scope: normalizeScope(active.scope),
    token_type: "access_token",
    iat: Math.floor(active.token.created_at / 1000),
  };
  if (active.user) {
    out.sub = active.user.id;
    out.username = active.user.username;
  }
  if (active.token.expires_at !== null) {
    out.exp = Math.floor(active.token.expires_at / 1000);
    out.expires_in = Math.max(0, Math.floor((active.token.expires_at - now) / 1000));
  }
  if (active.deviceId) out.device_id = active.deviceId;
  if (active.session.kind === "oauth2") out.client_id = state.oauth2Sessions.get(active.session.id)!.client_id;
  return out;
}

// Registration tokens and UIA registration sessions (reference §1 and §6, tokens.json, registration.json).
// Kept apart from state.ts: the token table, Synapse's two validity definitions, the UIA sessions that hold
// `pending`, and their 48-hour expiry, all driven by the simulator clock.
import { randomBytes } from "node:crypto";
import type { SimState } from "./state";

/** A row of Synapse's `registration_tokens`. */
export interface SimRegistrationToken {
  token: string;
  /** null = unlimited. 0 is allowed (and, per the reference, still admits registrations). */
  uses_allowed: number | null;
  pending: number;
  completed: number;
  /** ms; null = never. */
  expiry_time: number | null;
}

/** A UIA session of /register (Synapse's ui_auth_sessions + its session data). */
export interface SimUiaSession {
  session_id: string;
  creation_time: number;
  completed: string[];
  /** The token that passed the token stage (pending was incremented for it). */
  registration_token?: string;
  /** Set once registration finished: pending was moved to completed, expiry must not decrement again. */
  token_used?: boolean;
  registered_user_id?: string;
}

/** Synapse deletes UIA sessions older than this (`_expire_old_sessions`, ui_auth session timeout 48 h). */
export const UIA_SESSION_LIFETIME_MS = 48 * 3600_000;

export const TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-";
/** `.` and `~` are accepted since Synapse 1.44.0. */
export const TOKEN_CHARS_OLD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

export function versionAtLeast(version: string, min: string): boolean {
  const a = version.split(".").map((x) => Number.parseInt(x, 10) || 0);
  const b = min.split(".").map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

export function allowedTokenChars(state: SimState): string {
  return versionAtLeast(state.version, "1.44.0") ? TOKEN_CHARS : TOKEN_CHARS_OLD;
}

/** The stage name the simulated release knows: stable since 1.53, MSC3231 before. */
export function tokenStageName(state: SimState): string {
  return versionAtLeast(state.version, "1.53.0") ? "m.login.registration_token" : "org.matrix.msc3231.login.registration_token";
}

export function generateToken(state: SimState, length: number): string {
  const chars = allowedTokenChars(state);
  for (;;) {
    const bytes = randomBytes(length);
    let s = "";
    for (let i = 0; i < length; i++) s += chars[bytes[i] % chars.length];
    if (!state.registrationTokens.has(s)) return s;
  }
}

/** Adds a token row (test setup and seeding). Throws on a duplicate. */
export function addRegistrationToken(
  state: SimState,
  input: Partial<SimRegistrationToken> & { token: string },
): SimRegistrationToken {
  if (state.registrationTokens.has(input.token)) throw new Error(`simulator: token ${input.token} already exists`);
  const row: SimRegistrationToken = { uses_allowed: null, pending: 0, completed: 0, expiry_time: null, ...input };
  state.registrationTokens.set(row.token, row);
  return row;
}

/** The admin list's `valid=true` filter: pending counts and 0 uses means invalid. */
export function listedAsValid(t: SimRegistrationToken, now: number): boolean {
  return (t.uses_allowed === null || t.uses_allowed > t.pending + t.completed) && (t.expiry_time === null || t.expiry_time > now);
}

/**
 * The check /register and /validity use (`registration_token_is_valid`): Python truthiness, so
 * `uses_allowed: 0` and `expiry_time: 0` do not restrict anything — confirmed on a real Synapse.
 */
export function usableForRegistration(state: SimState, token: string, now: number): boolean {
  const t = state.registrationTokens.get(token);
  if (!t) return false;
  if (t.uses_allowed && t.pending + t.completed >= t.uses_allowed) return false;
  if (t.expiry_time && t.expiry_time < now) return false;
  return true;
}

/**
 * Synapse's periodic cleanup of UIA sessions older than 48 h: a session that passed the token stage but never
 * finished registering gives its `pending` back. Called lazily before anything that reads the counters.
 */
export function expireUiaSessions(state: SimState, now: number): void {
  for (const [id, s] of state.uiaSessions) {
    if (now - s.creation_time < UIA_SESSION_LIFETIME_MS) continue;
    if (s.registration_token && !s.token_used) {
      const t = state.registrationTokens.get(s.registration_token);
      if (t) t.pending = Math.max(0, t.pending - 1);
    }
    state.uiaSessions.delete(id);
  }
}

export function newUiaSession(state: SimState, now: number): SimUiaSession {
  const bytes = randomBytes(24);
  const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  let id = "";
  for (let i = 0; i < 24; i++) id += letters[bytes[i] % letters.length];
  const s: SimUiaSession = { session_id: id, creation_time: now, completed: [] };
  state.uiaSessions.set(id, s);
  return s;
}

/**
 * Demo/test seeding: one token of each kind the admin pages must show — an unlimited reference token, a
 * limited one, one used up, one expired, and the `uses_allowed: 0` hazard. Deterministic (no PRNG needed).
 */
export function seedRegistrationTokens(state: SimState, now: number): void {
  const day = 86_400_000;
  addRegistrationToken(state, { token: "welcome-friends", uses_allowed: null, completed: 3 });
  addRegistrationToken(state, { token: "book-club-2026", uses_allowed: 5, completed: 2, expiry_time: now + 20 * day });
  addRegistrationToken(state, { token: "family.only", uses_allowed: 2, completed: 2 });
  addRegistrationToken(state, { token: "old~summer~party", uses_allowed: 10, completed: 4, expiry_time: now - 30 * day });
  addRegistrationToken(state, { token: "zero-uses-hazard", uses_allowed: 0 });
}

/**
 * Admin sign-in through the Matrix Authentication Service (issue 16, item 2): OAuth 2.0 authorization code with
 * PKCE. Steward registers itself once per MAS by dynamic client registration (kept in its database, registered
 * again when MAS forgets it), asks for one token with the client-API and both admin scopes, keeps the access and
 * refresh tokens encrypted, refreshes before expiry and revokes on sign-out. Each failure is one plain sentence.
 */
import { and, eq, lt } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { adminSessions, masAuthRequests, masClients, masSessionGrants } from "../../../db/schema";
import type { AuthMetadata } from "../../homeserver";
import {
  authorizationUrl,
  exchangeCode,
  MasError,
  newPkce,
  refreshTokens,
  registerClient,
  revokeToken,
  STEWARD_MAS_SCOPE,
  type MasHttpOptions,
} from "../../homeserver/mas/oauth";
import { decryptSecret, encryptSecret, randomToken, safeEqual, sha256 } from "./crypto.server";
import type { AdminSession, SessionSettings } from "./session.server";

/** The short-lived cookie binding an authorization request to the browser that started it. */
export const MAS_BROWSER_COOKIE = "steward_mas_signin";
const REQUEST_TTL_MS = 10 * 60_000;
/** Refresh this long before the access token expires (MAS's default lifetime is 300 s). */
export const REFRESH_MARGIN_MS = 60_000;

export const callbackUrl = (publicBaseUrl: string) => `${publicBaseUrl.replace(/\/+$/, "")}/auth/callback`;

export interface StartInput {
  db: Db;
  secret: string;
  metadata: AuthMetadata;
  publicBaseUrl: string;
  next: string;
  now?: Date;
  http?: MasHttpOptions;
}

/** Registers Steward if needed and records the request; returns where to send the browser and its binding cookie. */
export async function startMasSignIn(input: StartInput): Promise<{ url: string; browserValue: string }> {
  const { db, metadata } = input;
  const now = input.now ?? new Date();
  if (!metadata.authorizationEndpoint || !metadata.tokenEndpoint) {
    throw new MasError("unexpected", "The authentication service's metadata names no authorization or token endpoint.");
  }
  const redirectUri = callbackUrl(input.publicBaseUrl);
  const clientId = await clientFor(db, metadata, input.publicBaseUrl, redirectUri, now, input.http);
  await db.delete(masAuthRequests).where(lt(masAuthRequests.expiresAt, now));
  const state = randomToken(24);
  const browserValue = randomToken(24);
  const pkce = newPkce();
  await db.insert(masAuthRequests).values({
    stateHash: sha256(state),
    browserHash: sha256(browserValue),
    codeVerifierEnc: encryptSecret(input.secret, pkce.verifier),
    issuer: metadata.issuer,
    clientId,
    redirectUri,
    tokenEndpoint: metadata.tokenEndpoint,
    revocationEndpoint: metadata.revocationEndpoint,
    next: input.next,
    createdAt: now,
    expiresAt: new Date(now.getTime() + REQUEST_TTL_MS),
  });
  const url = authorizationUrl(metadata.authorizationEndpoint, { clientId, redirectUri, scope: STEWARD_MAS_SCOPE, state, challenge: pkce.challenge });
  return { url, browserValue };
}

async function clientFor(db: Db, metadata: AuthMetadata, publicBaseUrl: string, redirectUri: string, now: Date, http?: MasHttpOptions): Promise<string> {
  const [row] = await db
    .select()
    .from(masClients)
    .where(and(eq(masClients.issuer, metadata.issuer), eq(masClients.redirectUri, redirectUri)));
  if (row) return row.clientId;
  if (!metadata.registrationEndpoint) throw new MasError("unexpected", "The authentication service offers no client registration endpoint.");
  const clientId = await registerClient(
    metadata.registrationEndpoint,
    { client_name: "Steward", client_uri: `${publicBaseUrl.replace(/\/+$/, "")}/`, redirect_uris: [redirectUri] },
    http,
  );
  await db
    .insert(masClients)
    .values({ issuer: metadata.issuer, redirectUri, clientId, registeredAt: now })
    .onConflictDoUpdate({ target: [masClients.issuer, masClients.redirectUri], set: { clientId, registeredAt: now } });
  return clientId;
}

export interface CallbackParams {
  state: string | null;
  code: string | null;
  error: string | null;
  errorDescription: string | null;
}

export type FinishResult =
  | {
      ok: true;
      accessToken: string;
      refreshToken: string;
      expiresInS: number;
      next: string;
      grant: { issuer: string; clientId: string; tokenEndpoint: string; revocationEndpoint: string | null };
    }
  | { ok: false; reason: string; message: string };

/** Checks the callback against the stored request (single use, same browser, not expired) and exchanges the code. */
export async function finishMasSignIn(db: Db, secret: string, params: CallbackParams, browserValue: string | undefined, opts: { now?: Date; http?: MasHttpOptions } = {}): Promise<FinishResult> {
  const now = opts.now ?? new Date();
  if (!params.state) return { ok: false, reason: "bad_state", message: "The answer from the authentication service was incomplete. Start the sign-in again." };
  // Taken out in one statement: a replayed callback finds nothing.
  const [req] = await db.delete(masAuthRequests).where(eq(masAuthRequests.stateHash, sha256(params.state))).returning();
  if (!req) return { ok: false, reason: "unknown_state", message: "This sign-in has already been used or was not started here. Start the sign-in again." };
  if (!browserValue || !safeEqual(sha256(browserValue), req.browserHash)) {
    return { ok: false, reason: "other_browser", message: "This sign-in was started in another browser or tab that Steward cannot match. Start the sign-in again here." };
  }
  if (req.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: "expired", message: "The sign-in took too long. Start it again." };
  if (params.error) {
    if (params.error === "access_denied") return { ok: false, reason: "cancelled", message: "The sign-in was cancelled at the authentication service." };
    const detail = params.errorDescription ? `: ${params.errorDescription.slice(0, 200)}` : "";
    return { ok: false, reason: "mas_error", message: `The authentication service did not sign you in (${params.error.slice(0, 60)}${detail}).` };
  }
  if (!params.code) return { ok: false, reason: "bad_state", message: "The answer from the authentication service carried no sign-in code. Start the sign-in again." };
  const verifier = decryptSecret(secret, req.codeVerifierEnc);
  if (!verifier) return { ok: false, reason: "bad_state", message: "This sign-in can no longer be completed (Steward's secret changed). Start it again." };
  try {
    const tokens = await exchangeCode(req.tokenEndpoint, { clientId: req.clientId, code: params.code, redirectUri: req.redirectUri, verifier }, opts.http);
    if (!tokens.refreshToken) {
      await revokeQuietly(req.revocationEndpoint, req.clientId, tokens.accessToken, opts.http);
      return { ok: false, reason: "no_refresh", message: "The authentication service gave Steward no refresh token, so the session could not last. Check that Steward's client may use the refresh_token grant." };
    }
    return {
      ok: true,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      expiresInS: tokens.expiresIn ?? 300,
      next: req.next,
      grant: { issuer: req.issuer, clientId: req.clientId, tokenEndpoint: req.tokenEndpoint, revocationEndpoint: req.revocationEndpoint },
    };
  } catch (e) {
    if (!(e instanceof MasError)) throw e;
    if (e.kind === "client_unknown") {
      // MAS forgot Steward's client (its database was reset): register again on the next attempt.
      await db.delete(masClients).where(and(eq(masClients.issuer, req.issuer), eq(masClients.redirectUri, req.redirectUri)));
      return { ok: false, reason: "client_unknown", message: "The authentication service no longer knows Steward's registration; Steward will register again. Start the sign-in again." };
    }
    if (e.kind === "invalid_grant") return { ok: false, reason: "invalid_grant", message: "The authentication service did not accept the sign-in code (it may have been used already). Start the sign-in again." };
    return { ok: false, reason: e.kind, message: e.message };
  }
}

async function revokeQuietly(endpoint: string | null, clientId: string, token: string, http?: MasHttpOptions): Promise<boolean> {
  if (!endpoint) return false;
  try {
    await revokeToken(endpoint, { clientId, token, hint: "access_token" }, http);
    return true;
  } catch {
    return false;
  }
}

/** Stores the grant of a session just created from a MAS sign-in. */
export async function saveMasGrant(db: Db, secret: string, idHash: string, r: Extract<FinishResult, { ok: true }>, now = new Date()): Promise<void> {
  await db.insert(masSessionGrants).values({
    idHash,
    ...r.grant,
    refreshTokenEnc: encryptSecret(secret, r.refreshToken),
    accessExpiresAt: new Date(now.getTime() + r.expiresInS * 1000),
  });
}

/** Revokes a refused sign-in's tokens (a token without the admin scopes must not stay valid). */
export async function revokeGrantTokens(r: Extract<FinishResult, { ok: true }>, http?: MasHttpOptions): Promise<boolean> {
  return revokeQuietly(r.grant.revocationEndpoint, r.grant.clientId, r.accessToken, http);
}

/** Generic so background collection (which has no cookie, only the session row's id and token) can refresh too. */
export type RefreshOutcome<S extends RefreshableSession = AdminSession> = { session: S; ended?: undefined } | { ended: "mas_expired" | "mas_down"; session?: undefined };
export type RefreshableSession = Pick<AdminSession, "idHash" | "accessToken">;

/**
 * Refreshes a MAS session's access token when it expires within REFRESH_MARGIN_MS. One refresh at a time per
 * session (row lock): MAS rotates refresh tokens, and two concurrent refreshes with one token would cost the first
 * its new pair. A refused refresh (revoked, expired, session finished) ends the session; MAS being unreachable
 * ends it only once the access token has expired.
 */
export async function refreshMasSession<S extends RefreshableSession>(db: Db, settings: SessionSettings, session: S, opts: { now?: Date; http?: MasHttpOptions } = {}): Promise<RefreshOutcome<S>> {
  const now = opts.now ?? new Date();
  const [grant] = await db.select().from(masSessionGrants).where(eq(masSessionGrants.idHash, session.idHash));
  if (!grant || grant.accessExpiresAt.getTime() - now.getTime() > REFRESH_MARGIN_MS) return { session };
  return db.transaction(async (tx) => {
    const [locked] = await tx.select().from(masSessionGrants).where(eq(masSessionGrants.idHash, session.idHash)).for("update");
    if (!locked) return { session };
    if (locked.accessExpiresAt.getTime() - now.getTime() > REFRESH_MARGIN_MS) {
      // Another request refreshed meanwhile: use its token.
      const [row] = await tx.select().from(adminSessions).where(eq(adminSessions.idHash, session.idHash));
      const token = row ? decryptSecret(settings.secret, row.accessTokenEnc) : null;
      return token ? { session: { ...session, accessToken: token } } : { session };
    }
    const refresh = decryptSecret(settings.secret, locked.refreshTokenEnc);
    if (!refresh) {
      await tx.delete(adminSessions).where(eq(adminSessions.idHash, session.idHash));
      return { ended: "mas_expired" as const };
    }
    try {
      const t = await refreshTokens(locked.tokenEndpoint, { clientId: locked.clientId, refreshToken: refresh }, opts.http);
      await tx
        .update(adminSessions)
        .set({ accessTokenEnc: encryptSecret(settings.secret, t.accessToken) })
        .where(eq(adminSessions.idHash, session.idHash));
      await tx
        .update(masSessionGrants)
        .set({
          refreshTokenEnc: encryptSecret(settings.secret, t.refreshToken ?? refresh),
          accessExpiresAt: new Date(now.getTime() + (t.expiresIn ?? 300) * 1000),
        })
        .where(eq(masSessionGrants.idHash, session.idHash));
      return { session: { ...session, accessToken: t.accessToken } };
    } catch (e) {
      if (!(e instanceof MasError)) throw e;
      if (e.kind === "invalid_grant" || e.kind === "client_unknown" || e.kind === "forbidden") {
        await tx.delete(adminSessions).where(eq(adminSessions.idHash, session.idHash));
        return { ended: "mas_expired" as const };
      }
      if (locked.accessExpiresAt.getTime() <= now.getTime()) {
        await tx.delete(adminSessions).where(eq(adminSessions.idHash, session.idHash));
        return { ended: "mas_down" as const };
      }
      return { session };
    }
  });
}

/** Sign-out of a MAS session: revoke at MAS (ends the whole OAuth session). "skipped" when the session is not MAS's. */
export async function signOutMas(db: Db, secret: string, idHash: string, http?: MasHttpOptions): Promise<"ok" | "failed" | "skipped"> {
  const [grant] = await db.select().from(masSessionGrants).where(eq(masSessionGrants.idHash, idHash));
  if (!grant) return "skipped";
  const refresh = decryptSecret(secret, grant.refreshTokenEnc);
  if (!grant.revocationEndpoint || !refresh) return "failed";
  try {
    await revokeToken(grant.revocationEndpoint, { clientId: grant.clientId, token: refresh, hint: "refresh_token" }, http);
    return "ok";
  } catch {
    return "failed";
  }
}

/**
 * Steward as an OAuth 2.0 client of the Matrix Authentication Service (mas-api.md §2): dynamic client registration,
 * the authorization URL (code + S256 PKCE), code exchange, refresh (rotating) and revocation. Every failure is a
 * MasError whose `kind` says what happened; no token or secret ever appears in a message.
 */
import { createHash, randomBytes } from "node:crypto";

export type MasErrorKind =
  /** MAS could not be reached (connection refused, DNS). */
  | "unreachable"
  | "timeout"
  | "rate_limited"
  | "server_error"
  /** 401 invalid_client / unauthorized_client: MAS does not know (or no longer accepts) Steward's client. */
  | "client_unknown"
  /** 400 invalid_grant: the code or refresh token is not (or no longer) valid. */
  | "invalid_grant"
  /** 400 invalid_client_metadata / invalid_redirect_uri at registration: the policy refused Steward's client. */
  | "registration_refused"
  /** 403: denied by policy. */
  | "forbidden"
  /** Any other answer. */
  | "unexpected";

export class MasError extends Error {
  constructor(
    readonly kind: MasErrorKind,
    message: string,
    readonly status: number | null = null,
    readonly oauthError: string | null = null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = "MasError";
  }
}

export interface MasHttpOptions {
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface OAuthErrorBody {
  error?: string;
  error_description?: string;
}

async function call(url: string, init: RequestInit, opts: MasHttpOptions, what: string): Promise<{ status: number; body: unknown }> {
  const f = opts.fetch ?? fetch;
  let res: Response;
  try {
    res = await f(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
  } catch (e) {
    const name = (e as Error)?.name;
    if (name === "TimeoutError" || name === "AbortError") throw new MasError("timeout", `The authentication service did not answer in time (${what}).`);
    throw new MasError("unreachable", `The authentication service at ${new URL(url).origin} could not be reached (${what}).`);
  }
  const text = await res.text().catch(() => "");
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (res.status === 429) {
    const retry = Number(res.headers.get("retry-after"));
    throw new MasError("rate_limited", `The authentication service is limiting requests (${what}); try again in a moment.`, 429, null, Number.isFinite(retry) && retry > 0 ? retry * 1000 : null);
  }
  if (res.status >= 500) throw new MasError("server_error", `The authentication service had an internal error (HTTP ${res.status}, ${what}).`, res.status);
  return { status: res.status, body };
}

function oauthFailure(status: number, body: unknown, what: string): MasError {
  const b = (typeof body === "object" && body !== null ? body : {}) as OAuthErrorBody;
  const err = typeof b.error === "string" ? b.error : null;
  const desc = typeof b.error_description === "string" ? b.error_description.slice(0, 300) : null;
  const detail = `${err ?? `HTTP ${status}`}${desc ? `: ${desc}` : ""}`;
  if (status === 401 && (err === "invalid_client" || err === "unauthorized_client")) return new MasError("client_unknown", `The authentication service does not accept Steward's client (${detail}).`, status, err);
  if (err === "invalid_grant") return new MasError("invalid_grant", `The authentication service refused the grant (${detail}).`, status, err);
  if (err === "invalid_client_metadata" || err === "invalid_redirect_uri") return new MasError("registration_refused", `The authentication service refused to register Steward (${detail}).`, status, err);
  if (status === 403) return new MasError("forbidden", `The authentication service refused ${what} (${detail}).`, status, err);
  return new MasError("unexpected", `The authentication service answered ${what} unexpectedly (${detail}).`, status, err);
}

export interface ClientMetadata {
  client_name: string;
  client_uri: string;
  redirect_uris: string[];
}

/** POST registration_endpoint: a public client (PKCE, no secret) for the authorization code and refresh grants. */
export async function registerClient(endpoint: string, meta: ClientMetadata, opts: MasHttpOptions = {}): Promise<string> {
  const body = {
    application_type: "web",
    client_name: meta.client_name,
    client_uri: meta.client_uri,
    redirect_uris: meta.redirect_uris,
    token_endpoint_auth_method: "none",
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
  };
  const r = await call(endpoint, { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify(body) }, opts, "client registration");
  if (r.status !== 201 && r.status !== 200) throw oauthFailure(r.status, r.body, "the client registration");
  const id = (r.body as { client_id?: unknown })?.client_id;
  if (typeof id !== "string" || !id) throw new MasError("unexpected", "The authentication service registered Steward but sent no client id.", r.status);
  return id;
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function newPkce(): Pkce {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export function authorizationUrl(endpoint: string, p: { clientId: string; redirectUri: string; scope: string; state: string; challenge: string }): string {
  const u = new URL(endpoint);
  u.searchParams.set("response_type", "code");
  u.searchParams.set("client_id", p.clientId);
  u.searchParams.set("redirect_uri", p.redirectUri);
  u.searchParams.set("scope", p.scope);
  u.searchParams.set("state", p.state);
  u.searchParams.set("code_challenge", p.challenge);
  u.searchParams.set("code_challenge_method", "S256");
  return u.toString();
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string | null;
  /** Seconds; MAS's default is 300. */
  expiresIn: number | null;
  scope: string | null;
}

async function tokenRequest(endpoint: string, form: Record<string, string>, opts: MasHttpOptions, what: string): Promise<TokenSet> {
  const r = await call(
    endpoint,
    { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" }, body: new URLSearchParams(form).toString() },
    opts,
    what,
  );
  if (r.status !== 200) throw oauthFailure(r.status, r.body, what);
  const b = (r.body ?? {}) as Record<string, unknown>;
  if (typeof b.access_token !== "string" || !b.access_token) throw new MasError("unexpected", `The authentication service sent no access token (${what}).`, 200);
  return {
    accessToken: b.access_token,
    refreshToken: typeof b.refresh_token === "string" ? b.refresh_token : null,
    expiresIn: typeof b.expires_in === "number" && Number.isFinite(b.expires_in) ? b.expires_in : null,
    scope: typeof b.scope === "string" ? b.scope : null,
  };
}

export function exchangeCode(endpoint: string, p: { clientId: string; code: string; redirectUri: string; verifier: string }, opts: MasHttpOptions = {}): Promise<TokenSet> {
  return tokenRequest(endpoint, { grant_type: "authorization_code", code: p.code, redirect_uri: p.redirectUri, code_verifier: p.verifier, client_id: p.clientId }, opts, "the sign-in code exchange");
}

export function refreshTokens(endpoint: string, p: { clientId: string; refreshToken: string }, opts: MasHttpOptions = {}): Promise<TokenSet> {
  return tokenRequest(endpoint, { grant_type: "refresh_token", refresh_token: p.refreshToken, client_id: p.clientId }, opts, "the token refresh");
}

/** POST revocation_endpoint: ends the whole OAuth 2.0 session at MAS (both tokens). */
export async function revokeToken(endpoint: string, p: { clientId: string; token: string; hint: "access_token" | "refresh_token" }, opts: MasHttpOptions = {}): Promise<void> {
  const r = await call(
    endpoint,
    { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" }, body: new URLSearchParams({ token: p.token, token_type_hint: p.hint, client_id: p.clientId }).toString() },
    opts,
    "the sign-out",
  );
  if (r.status !== 200) throw oauthFailure(r.status, r.body, "the sign-out");
}

/** The scope Steward asks for: the client API and both admin APIs (unstable API form: every MAS version accepts it). */
export const STEWARD_MAS_SCOPE = "urn:matrix:org.matrix.msc2967.client:api:* urn:mas:admin urn:synapse:admin:*";

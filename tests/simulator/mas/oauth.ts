// OAuth 2.0 / OIDC endpoints of MAS v1.22.0 (mas-api.md §1.4, §2): discovery, dynamic client registration, the
// authorization endpoint with its login and consent pages, token (code + PKCE, refresh with rotation, client
// credentials), revocation, introspection and userinfo.
import { createHash, timingSafeEqual } from "node:crypto";
import { clientRegistrationViolations, grantViolations } from "./policy";
import { consentPage, errorPage, loginPage, policyViolationPage } from "./pages";
import { Res, type MasRouter, type Req } from "./http";
import {
  alnum,
  scopeList,
  ulid,
  userByUsername,
  type MasClient,
  type MasGrant,
  type MasUser,
  type MasUserSession,
} from "./state";
import {
  activeAccessToken,
  deviceOfScope,
  finishOAuthSession,
  introspection,
  issuePair,
  newOAuthSession,
} from "./tokens";

export const SESSION_COOKIE = "mas-session";
const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" };
const oauthError = (status: number, error: string, description?: string) =>
  Res.json(status, description ? { error, error_description: description } : { error }, NO_STORE);

export function discovery(base: string, deviceGrant = true): Record<string, unknown> {
  const methods = ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"];
  const algs = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES256K"];
  return {
    issuer: `${base}/`,
    authorization_endpoint: `${base}/authorize`,
    token_endpoint: `${base}/oauth2/token`,
    jwks_uri: `${base}/oauth2/keys.json`,
    registration_endpoint: `${base}/oauth2/registration`,
    scopes_supported: ["openid", "email"],
    response_types_supported: ["code", "id_token", "code id_token"],
    response_modes_supported: ["form_post", "query", "fragment"],
    grant_types_supported: ["authorization_code", "refresh_token", "client_credentials", ...(deviceGrant ? ["urn:ietf:params:oauth:grant-type:device_code"] : [])],
    token_endpoint_auth_methods_supported: methods,
    token_endpoint_auth_signing_alg_values_supported: algs,
    revocation_endpoint: `${base}/oauth2/revoke`,
    revocation_endpoint_auth_methods_supported: methods,
    revocation_endpoint_auth_signing_alg_values_supported: algs,
    introspection_endpoint: `${base}/oauth2/introspect`,
    introspection_endpoint_auth_methods_supported: methods,
    introspection_endpoint_auth_signing_alg_values_supported: algs,
    code_challenge_methods_supported: ["plain", "S256"],
    userinfo_endpoint: `${base}/oauth2/userinfo`,
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
    userinfo_signing_alg_values_supported: ["RS256"],
    display_values_supported: ["page"],
    claim_types_supported: ["normal"],
    claims_supported: ["iss", "sub", "aud", "iat", "exp", "nonce", "auth_time", "at_hash", "c_hash"],
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    prompt_values_supported: ["login", "create"],
    ...(deviceGrant ? { device_authorization_endpoint: `${base}/oauth2/device` } : {}),
    "org.matrix.matrix-authentication-service.graphql_endpoint": `${base}/graphql`,
    account_management_uri: `${base}/account/`,
    account_management_actions_supported: [
      "org.matrix.profile",
      "org.matrix.devices_list",
      "org.matrix.device_view",
      "org.matrix.device_delete",
      "org.matrix.cross_signing_reset",
      "org.matrix.sessions_list",
      "org.matrix.session_view",
      "org.matrix.session_end",
    ],
  };
}

export function registerOAuth(router: MasRouter): void {
  router.add("GET", "/.well-known/openid-configuration", (req) =>
    Res.json(200, discovery(req.mas.url), { "Access-Control-Allow-Origin": "*" }),
  );
  router.add("GET", "/oauth2/keys.json", () => Res.json(200, { keys: [] }));
  router.add("POST", "/oauth2/registration", registerClient);
  router.add("GET", "/authorize", authorize);
  router.add("GET", "/login", (req) => Res.html(200, loginPage(continuation(req.query), null)));
  router.add("POST", "/login", login);
  router.add("GET", "/consent/:id", consentGet);
  router.add("POST", "/consent/:id", consentPost);
  router.add("POST", "/oauth2/token", token);
  router.add("POST", "/oauth2/revoke", revoke);
  router.add("POST", "/oauth2/introspect", introspect);
  router.add("GET", "/oauth2/userinfo", userinfo);
  router.add("POST", "/oauth2/userinfo", userinfo);
  router.add("GET", "/account/", (req) => {
    const s = browserSession(req);
    return Res.html(200, errorPage("Your account", s ? `Signed in as ${req.mas.state.users.get(s.user_id)?.username}.` : "Not signed in."));
  });
}

// ---------------------------------------------------------------- registration

function registerClient(req: Req): Res {
  let meta: Record<string, unknown>;
  try {
    const v = JSON.parse(req.body.toString("utf8"));
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
    meta = v;
  } catch {
    return oauthError(400, "invalid_request", "Invalid JSON body");
  }
  const grants = Array.isArray(meta.grant_types) ? (meta.grant_types as string[]) : ["authorization_code"];
  const redirects = Array.isArray(meta.redirect_uris) ? (meta.redirect_uris as unknown[]) : [];
  if (grants.includes("authorization_code") && redirects.length === 0) {
    return oauthError(400, "invalid_redirect_uri", "redirect_uris is required for the authorization_code grant");
  }
  if (redirects.some((r) => typeof r !== "string" || r.includes("#"))) return oauthError(400, "invalid_redirect_uri", "redirect_uri must not contain a fragment");
  const violations = clientRegistrationViolations(req.mas.state, meta);
  if (violations.length) {
    const text = violations.join("; ");
    return oauthError(400, text.includes("redirect_uri") ? "invalid_redirect_uri" : "invalid_client_metadata", text);
  }
  const method = typeof meta.token_endpoint_auth_method === "string" ? meta.token_endpoint_auth_method : null;
  const state = req.mas.state;
  const withSecret = method === "client_secret_basic" || method === "client_secret_post" || method === "client_secret_jwt";
  const digest = withSecret ? null : createHash("sha256").update(sortedJson(meta)).digest("hex");
  if (digest) {
    for (const c of state.clients.values()) if (c.metadata_digest === digest) return Res.json(201, clientResponse(c));
  }
  const id = ulid(req.now);
  const client: MasClient = {
    id,
    client_id: id,
    client_secret: withSecret ? alnum(20) : null,
    token_endpoint_auth_method: method,
    redirect_uris: redirects as string[],
    grant_types: grants,
    response_types: Array.isArray(meta.response_types) ? (meta.response_types as string[]) : ["code"],
    application_type: meta.application_type === "native" ? "native" : "web",
    client_name: typeof meta.client_name === "string" ? meta.client_name : null,
    client_uri: typeof meta.client_uri === "string" ? meta.client_uri : null,
    is_static: false,
    created_at: req.now,
    metadata_digest: digest,
    metadata: meta,
  };
  state.clients.set(id, client);
  return Res.json(201, clientResponse(client));
}

function clientResponse(c: MasClient): Record<string, unknown> {
  return {
    ...c.metadata,
    client_id: c.client_id,
    ...(c.client_secret ? { client_secret: c.client_secret } : {}),
    client_id_issued_at: Math.floor(c.created_at / 1000),
    application_type: c.application_type,
    grant_types: c.grant_types,
    response_types: c.response_types,
  };
}

function sortedJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(",")}]`;
  return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${sortedJson((v as Record<string, unknown>)[k])}`).join(",")}}`;
}

// ---------------------------------------------------------------- authorization

/** Exact match; for loopback hosts a registered URI without a port matches any port. */
export function redirectMatches(registered: string[], uri: string): boolean {
  if (registered.includes(uri)) return true;
  try {
    const u = new URL(uri);
    if (!["localhost", "127.0.0.1", "[::1]"].includes(u.hostname)) return false;
    return registered.some((r) => {
      const x = new URL(r);
      return x.port === "" && x.protocol === u.protocol && x.hostname === u.hostname && x.pathname === u.pathname && x.search === u.search;
    });
  } catch {
    return false;
  }
}

function authorize(req: Req): Res {
  const q = req.query;
  const state = req.mas.state;
  const client = state.clients.get(q.get("client_id") ?? "");
  if (!client) return Res.html(400, errorPage("Invalid request", "The client ID is unknown."));
  let redirectUri = q.get("redirect_uri");
  if (redirectUri === null) {
    if (client.redirect_uris.length !== 1) return Res.html(400, errorPage("Invalid request", "A redirect_uri is required."));
    redirectUri = client.redirect_uris[0];
  }
  if (!redirectMatches(client.redirect_uris, redirectUri)) {
    return Res.html(400, errorPage("Invalid request", "The redirect_uri is not registered for this client."));
  }
  const back = (error: string, description?: string) => {
    const u = new URL(redirectUri!);
    u.searchParams.set("error", error);
    if (description) u.searchParams.set("error_description", description);
    if (q.get("state") !== null) u.searchParams.set("state", q.get("state")!);
    return Res.redirect(u.toString());
  };
  if (q.has("request") || q.has("request_uri") || q.has("registration")) return back("request_not_supported");
  const responseType = q.get("response_type") ?? "";
  if (responseType.split(" ").includes("token")) return back("unsupported_response_type");
  if (responseType !== "code") return back("unsupported_response_type");
  if (!client.grant_types.includes("authorization_code")) return back("unauthorized_client");
  const prompt = q.get("prompt");
  if (prompt === "none") return back("login_required");
  const method = q.get("code_challenge_method");
  if (q.get("code_challenge") && method && method !== "S256" && method !== "plain") return back("invalid_request", "Unsupported code_challenge_method");
  const grant: MasGrant = {
    id: ulid(req.now),
    client_id: client.id,
    redirect_uri: redirectUri,
    scope: q.get("scope") ?? "",
    state: q.get("state"),
    code_challenge: q.get("code_challenge"),
    code_challenge_method: q.get("code_challenge") ? (method ?? "plain") : null,
    nonce: q.get("nonce"),
    response_mode: q.get("response_mode") ?? "query",
    created_at: req.now,
    code: null,
    user_id: null,
    user_session_id: null,
    exchanged_at: null,
    session_id: null,
    cancelled: false,
  };
  state.grants.set(grant.id, grant);
  const cont = `kind=continue_authorization_grant&id=${grant.id}`;
  if (!browserSession(req) || prompt === "login") {
    if (prompt === "create") return Res.redirect(`/register?${cont}`);
    const hint = q.get("login_hint");
    return Res.redirect(`/login?${cont}${hint ? `&login_hint=${encodeURIComponent(hint)}` : ""}`);
  }
  return Res.redirect(`/consent/${grant.id}`);
}

function continuation(q: URLSearchParams): Record<string, string> {
  const kind = q.get("kind");
  const id = q.get("id");
  return kind && id ? { kind, id } : {};
}

export function browserSession(req: Req): MasUserSession | null {
  const cookie = req.cookies[SESSION_COOKIE];
  if (!cookie) return null;
  for (const s of req.mas.state.userSessions.values()) {
    if (s.cookie === cookie && s.finished_at === null) {
      const u = req.mas.state.users.get(s.user_id);
      if (u && u.deactivated_at === null) return s;
    }
  }
  return null;
}

/** A new MAS browser session for a user, and the cookie that carries it. */
export function startBrowserSession(req: Req, user: MasUser): { session: MasUserSession; setCookie: string } {
  const session: MasUserSession = {
    id: ulid(req.now),
    user_id: user.id,
    cookie: alnum(32),
    created_at: req.now,
    finished_at: null,
    user_agent: String(req.headers["user-agent"] ?? "") || null,
    last_active_at: req.now,
    last_active_ip: req.ip,
  };
  req.mas.state.userSessions.set(session.id, session);
  return { session, setCookie: `${SESSION_COOKIE}=${session.cookie}; Path=/; HttpOnly; SameSite=Lax` };
}

function login(req: Req): Res {
  const f = req.form();
  const hidden = continuation(f);
  const username = (f.get("username") ?? "").trim().replace(/^@/, "").replace(/:.*$/, "");
  const state = req.mas.state;
  if (!state.siteConfig.password_login_enabled) return Res.html(400, loginPage(hidden, "Password login is disabled.", username));
  const user = userByUsername(state, username);
  if (!user || user.password === null || user.password !== f.get("password") || user.deactivated_at !== null) {
    return Res.html(401, loginPage(hidden, "Invalid credentials.", username));
  }
  if (user.locked_at !== null) return Res.html(401, loginPage(hidden, "This account has been locked.", username));
  const { setCookie } = startBrowserSession(req, user);
  const next = hidden.kind === "continue_authorization_grant" ? `/consent/${hidden.id}` : "/account/";
  return Res.redirect(next, { "Set-Cookie": setCookie });
}

const csrfFor = (grant: MasGrant, session: MasUserSession) =>
  createHash("sha256").update(`${grant.id}:${session.cookie}`).digest("hex").slice(0, 32);

function consentGet(req: Req): Res {
  const state = req.mas.state;
  const grant = state.grants.get(req.params.id);
  if (!grant || grant.code !== null || grant.cancelled) return Res.html(400, errorPage("Invalid request", "This authorization request is no longer valid."));
  const session = browserSession(req);
  if (!session) return Res.redirect(`/login?kind=continue_authorization_grant&id=${grant.id}`);
  const user = state.users.get(session.user_id)!;
  const violations = grantViolations(state, user, grant.scope);
  if (violations.length) return Res.html(200, policyViolationPage(violations));
  const client = state.clients.get(grant.client_id)!;
  return Res.html(200, consentPage(grant.id, client.client_name ?? client.client_id, client.client_uri, scopeList(grant.scope), csrfFor(grant, session)));
}

function consentPost(req: Req): Res {
  const state = req.mas.state;
  const grant = state.grants.get(req.params.id);
  if (!grant || grant.code !== null || grant.cancelled) return Res.html(400, errorPage("Invalid request", "This authorization request is no longer valid."));
  const session = browserSession(req);
  if (!session) return Res.redirect(`/login?kind=continue_authorization_grant&id=${grant.id}`);
  const f = req.form();
  if (f.get("csrf") !== csrfFor(grant, session)) return Res.html(400, errorPage("Invalid request", "The form expired. Go back and try again."));
  const u = new URL(grant.redirect_uri);
  if (f.get("action") === "cancel") {
    grant.cancelled = true;
    u.searchParams.set("error", "access_denied");
  } else {
    const user = state.users.get(session.user_id)!;
    const violations = grantViolations(state, user, grant.scope);
    if (violations.length) return Res.html(200, policyViolationPage(violations));
    grant.code = alnum(32);
    grant.user_id = user.id;
    grant.user_session_id = session.id;
    u.searchParams.set("code", grant.code);
  }
  if (grant.state !== null) u.searchParams.set("state", grant.state);
  return Res.redirect(u.toString());
}

// ---------------------------------------------------------------- client authentication

type ClientAuth = { client: MasClient } | { error: Res };

function authenticateClient(req: Req, form: URLSearchParams): ClientAuth {
  const state = req.mas.state;
  let id = form.get("client_id");
  let secret = form.get("client_secret");
  let via: "basic" | "post" | "none" = secret !== null ? "post" : "none";
  const header = req.headers.authorization;
  if (header?.startsWith("Basic ")) {
    const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
    const i = decoded.indexOf(":");
    id = decodeURIComponent(decoded.slice(0, i));
    secret = decodeURIComponent(decoded.slice(i + 1));
    via = "basic";
  }
  const client = id ? state.clients.get(id) : undefined;
  if (!client) return { error: oauthError(401, "invalid_client", "Client not found") };
  const method = client.token_endpoint_auth_method;
  if (method === null) return { error: oauthError(401, "unauthorized_client", "Client is not allowed to use this endpoint") };
  const expected = method === "client_secret_basic" ? "basic" : method === "client_secret_post" ? "post" : method === "none" ? "none" : null;
  if (expected !== via) return { error: oauthError(401, "invalid_client", "Client authentication failed") };
  if (via !== "none") {
    const a = Buffer.from(secret ?? "");
    const b = Buffer.from(client.client_secret ?? "");
    if (a.length !== b.length || !timingSafeEqual(a, b)) return { error: oauthError(401, "invalid_client", "Client authentication failed") };
  }
  return { client };
}

// ---------------------------------------------------------------- token

function token(req: Req): Res {
  const form = req.form();
  const auth = authenticateClient(req, form);
  if ("error" in auth) return auth.error;
  const client = auth.client;
  const grantType = form.get("grant_type");
  if (!grantType || !client.grant_types.includes(grantType) && grantType !== "client_credentials") {
    if (grantType === "authorization_code" || grantType === "refresh_token") return oauthError(401, "unauthorized_client", "Client is not allowed to use this grant type");
    return oauthError(400, "unsupported_grant_type");
  }
  if (grantType === "authorization_code") return codeGrant(req, form, client);
  if (grantType === "refresh_token") return refreshGrant(req, form, client);
  if (grantType === "client_credentials") return clientCredentials(req, form, client);
  return oauthError(400, "unsupported_grant_type");
}

function tokenResponse(access: string, refresh: string | null, ttlS: number, scope: string): Res {
  return Res.json(
    200,
    { access_token: access, token_type: "Bearer", expires_in: ttlS, ...(refresh ? { refresh_token: refresh } : {}), ...(scope ? { scope } : {}) },
    NO_STORE,
  );
}

function codeGrant(req: Req, form: URLSearchParams, client: MasClient): Res {
  const state = req.mas.state;
  const code = form.get("code");
  const grant = code ? [...state.grants.values()].find((g) => g.code === code) : undefined;
  if (!grant || grant.client_id !== client.id) return oauthError(400, "invalid_grant", "Invalid authorization code");
  if (grant.exchanged_at !== null) {
    // A replayed code: more than 20 s after the first exchange it ends the session it made.
    if (req.now - grant.exchanged_at > 20_000 && grant.session_id) {
      const s = state.oauth2Sessions.get(grant.session_id);
      if (s) finishOAuthSession(req.mas, s, req.now);
    }
    return oauthError(400, "invalid_grant", "Authorization code has already been exchanged");
  }
  if (req.now - grant.created_at > 10 * 60_000) return oauthError(400, "invalid_grant", "Authorization code expired");
  if (form.get("redirect_uri") !== grant.redirect_uri) return oauthError(400, "invalid_grant", "redirect_uri does not match");
  const verifier = form.get("code_verifier");
  if ((grant.code_challenge === null) !== (verifier === null)) return oauthError(400, "invalid_request", "PKCE verifier and challenge must both be present or absent");
  if (grant.code_challenge !== null && verifier !== null) {
    const computed = grant.code_challenge_method === "S256" ? createHash("sha256").update(verifier).digest("base64url") : verifier;
    if (computed !== grant.code_challenge) return oauthError(400, "invalid_grant", "PKCE verification failed");
  }
  const user = grant.user_id ? state.users.get(grant.user_id) : undefined;
  if (!user || user.locked_at !== null || user.deactivated_at !== null) return oauthError(400, "invalid_grant", "The user is not valid");
  grant.exchanged_at = req.now;
  const session = newOAuthSession(state, client.id, user, grant.user_session_id, grant.scope, req.now);
  grant.session_id = session.id;
  const device = deviceOfScope(grant.scope);
  if (device) req.mas.hooks.upsertDevice(user.username, device);
  const pair = issuePair(req.mas, session, req.now);
  return tokenResponse(pair.access, pair.refresh, state.accessTokenTtlS, grant.scope);
}

function refreshGrant(req: Req, form: URLSearchParams, client: MasClient): Res {
  const state = req.mas.state;
  const rt = state.refreshTokens.get(form.get("refresh_token") ?? "");
  const session = rt ? state.oauth2Sessions.get(rt.session_id) : undefined;
  if (!rt || !session || session.client_id !== client.id || rt.revoked_at !== null) return oauthError(400, "invalid_grant", "Invalid refresh token");
  if (session.finished_at !== null) return oauthError(400, "invalid_grant", "Session is no longer active");
  const user = session.user_id ? state.users.get(session.user_id) : undefined;
  if (session.user_id && (!user || user.deactivated_at !== null || user.locked_at !== null)) return oauthError(400, "invalid_grant", "The user is not valid");
  if (rt.consumed_at !== null) {
    const next = rt.next ? state.refreshTokens.get(rt.next) : undefined;
    // A lost response: the successor was never used, so it is revoked and a new pair issued.
    if (!next || next.consumed_at !== null || next.revoked_at !== null) return oauthError(400, "invalid_grant", "Refresh token already used");
    next.revoked_at = req.now;
    const a = state.accessTokens.get(next.access_token);
    if (a) a.revoked_at = req.now;
  }
  rt.consumed_at ??= req.now;
  const old = state.accessTokens.get(rt.access_token);
  if (old && old.revoked_at === null) old.revoked_at = req.now;
  const pair = issuePair(req.mas, session, req.now);
  rt.next = pair.refresh;
  return tokenResponse(pair.access, pair.refresh, state.accessTokenTtlS, session.scope);
}

function clientCredentials(req: Req, form: URLSearchParams, client: MasClient): Res {
  const state = req.mas.state;
  if (client.token_endpoint_auth_method === "none") return oauthError(401, "unauthorized_client", "Public clients cannot use client_credentials");
  const scope = form.get("scope") ?? "";
  for (const s of scopeList(scope)) {
    if (s === "urn:mas:admin" ? !state.policyData.admin_clients.includes(client.client_id) : s !== "urn:mas:graphql:*") {
      return oauthError(403, "invalid_scope", `scope '${s}' not allowed`);
    }
  }
  const session = newOAuthSession(state, client.id, null, null, scope, req.now);
  const pair = issuePair(req.mas, session, req.now);
  state.refreshTokens.delete(pair.refresh);
  return tokenResponse(pair.access, null, state.accessTokenTtlS, scope);
}

// ---------------------------------------------------------------- revoke, introspect, userinfo

function revoke(req: Req): Res {
  const form = req.form();
  const auth = authenticateClient(req, form);
  if ("error" in auth) return auth.error;
  const state = req.mas.state;
  const raw = form.get("token") ?? "";
  if (!raw) return oauthError(400, "invalid_request", "Missing token");
  const access = state.accessTokens.get(raw);
  const refresh = state.refreshTokens.get(raw);
  const sessionId = access?.session.kind === "oauth2" ? access.session.id : refresh?.session_id;
  const session = sessionId ? state.oauth2Sessions.get(sessionId) : undefined;
  if (!session || session.finished_at !== null) return Res.json(200, {});
  if (session.client_id !== auth.client.id) return oauthError(401, "unauthorized_client", "The token does not belong to this client");
  finishOAuthSession(req.mas, session, req.now);
  return Res.json(200, {});
}

function introspect(req: Req): Res {
  const form = req.form();
  const header = req.headers.authorization;
  // Synapse authenticates with the shared secret; any confidential client with its own credentials too.
  if (header !== `Bearer ${req.mas.state.synapseSecret}`) {
    const auth = authenticateClient(req, form);
    if ("error" in auth) return auth.error;
    if (auth.client.token_endpoint_auth_method === "none") return oauthError(401, "access_denied", "Public clients cannot introspect");
  }
  const raw = form.get("token");
  if (!raw) return oauthError(400, "invalid_request", "Missing token");
  const answer = introspection(req.mas.state, raw, req.now);
  const active = activeAccessToken(req.mas.state, raw, req.now);
  if (active) touchSession(req, active.session);
  return Res.json(200, answer, NO_STORE);
}

function touchSession(req: Req, ref: { kind: string; id: string }): void {
  const s = ref.kind === "oauth2" ? req.mas.state.oauth2Sessions.get(ref.id) : ref.kind === "compat" ? req.mas.state.compatSessions.get(ref.id) : req.mas.state.personalSessions.get(ref.id);
  if (s) Object.assign(s, { last_active_at: req.now, last_active_ip: req.ip });
}

function userinfo(req: Req): Res {
  const header = req.headers.authorization ?? "";
  const active = header.startsWith("Bearer ") ? activeAccessToken(req.mas.state, header.slice(7), req.now) : null;
  if (!active || !active.user || !scopeList(active.scope).includes("openid")) return Res.empty(401);
  return Res.json(200, { sub: active.user.id, username: active.user.username });
}

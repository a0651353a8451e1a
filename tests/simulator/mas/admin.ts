// The MAS admin API (`/api/admin/v1`, mas-api.md §1.2, §3): bearer auth with `urn:mas:admin`, users, registration
// tokens, the three session kinds, personal sessions, site config and version.
import { Res, type MasRouter, type Req } from "./http";
import { versionAtLeast } from "../routes/users";
import {
  AdminError,
  adminError,
  boolFilter,
  dateField,
  fail,
  filter,
  filters,
  iso,
  jsonBody,
  list,
  pathUlid,
  single,
  u32Field,
  type Resource,
} from "./envelope";
import {
  alnum,
  MAS_ADMIN_SCOPE,
  newToken,
  scopeList,
  tokenValid,
  ulid,
  userByUsername,
  type MasClient,
  type MasCompatSession,
  type MasOAuthSession,
  type MasPersonalSession,
  type MasRegistrationToken,
  type MasUser,
  type MasUserSession,
} from "./state";
import { activeAccessToken, finishCompatSession, finishOAuthSession, touch } from "./tokens";

const P = "/api/admin/v1";
type AdminHandler = (req: Req, caller: Caller) => Res;
interface Caller {
  user: MasUser | null;
  clientId: string | null;
}

function guarded(h: AdminHandler) {
  return (req: Req): Res => {
    const header = req.headers.authorization;
    if (header === undefined) return adminError(400, "Missing authorization header");
    if (!header.startsWith("Bearer ") || header.length <= 7) return adminError(400, "Invalid authorization header");
    const raw = header.slice(7);
    if (!/^(mat|mpt)_/.test(raw)) return adminError(401, "Invalid access token");
    const active = activeAccessToken(req.mas.state, raw, req.now);
    if (!active) return adminError(401, "Invalid access token");
    if (!scopeList(active.scope).includes(MAS_ADMIN_SCOPE)) return adminError(401, "Missing urn:mas:admin scope");
    touch(req.mas.state, active.session, req.now, req.ip);
    const clientId = active.session.kind === "oauth2" ? req.mas.state.oauth2Sessions.get(active.session.id)!.client_id : null;
    try {
      return h(req, { user: active.user, clientId });
    } catch (err) {
      if (err instanceof AdminError) return err.res;
      throw err;
    }
  };
}

export function registerAdmin(router: MasRouter): void {
  const add = (method: string, path: string, h: AdminHandler) => router.add(method, `${P}${path}`, guarded(h));
  // Endpoints newer than the simulated MAS do not exist there: the router's plain 404, before any auth (§3.8, §7).
  const addSince = (major: number, minor: number, path: string, h: AdminHandler) => {
    const g = guarded(h);
    router.add("GET", `${P}${path}`, (req) =>
      versionAtLeast(req.mas.state.version, major, minor) ? g(req) : new Res(404, "Not Found", { "Content-Type": "text/plain; charset=utf-8" }),
    );
  };
  addSince(1, 4, "/version", (req) => Res.json(200, { version: `v${req.mas.state.version}` }));
  addSince(1, 3, "/site-config", siteConfig);
  add("GET", "/users", listUsers);
  add("POST", "/users", addUser);
  add("GET", "/users/:id", (req) => single(req, "user", "users", userResource(userById(req))));
  add("GET", "/users/by-username/:username", (req) => {
    const u = userByUsername(req.mas.state, req.params.username);
    if (!u) return adminError(404, `User with username "${req.params.username}" not found`);
    return single(req, "user", "users", userResource(u));
  });
  add("POST", "/users/:id/lock", (req) => {
    const u = userById(req);
    u.locked_at ??= req.now;
    req.mas.hooks.syncLocked(u.username, true);
    return single(req, "user", "users", userResource(u));
  });
  add("POST", "/users/:id/unlock", (req) => {
    const u = userById(req);
    u.locked_at = null;
    req.mas.hooks.syncLocked(u.username, false);
    return single(req, "user", "users", userResource(u));
  });
  add("POST", "/users/:id/deactivate", deactivate);
  add("POST", "/users/:id/reactivate", (req) => {
    const u = userById(req);
    req.mas.hooks.reactivateUser(u.username);
    u.deactivated_at = null;
    return single(req, "user", "users", userResource(u));
  });
  add("POST", "/users/:id/set-admin", (req) => {
    const u = userById(req);
    const body = jsonBody(req);
    if (typeof body.admin !== "boolean") fail(422, "admin: invalid type");
    u.admin = body.admin as boolean;
    return single(req, "user", "users", userResource(u));
  });
  add("POST", "/users/:id/set-password", (req) => {
    const u = userById(req);
    const body = jsonBody(req);
    if (!req.mas.state.siteConfig.password_login_enabled) return adminError(403, "Password auth is disabled");
    if (typeof body.password !== "string") fail(422, "password: invalid type");
    if (body.skip_password_check !== true && (body.password as string).length < 8) return adminError(400, "Password is too weak");
    u.password = body.password as string;
    return Res.empty(204);
  });

  add("GET", "/user-registration-tokens", listTokens);
  add("POST", "/user-registration-tokens", addToken);
  add("GET", "/user-registration-tokens/:id", (req) => single(req, "user-registration_token", "user-registration-tokens", tokenResource(tokenById(req), req.now)));
  add("PUT", "/user-registration-tokens/:id", updateToken);
  add("POST", "/user-registration-tokens/:id/revoke", (req) => {
    const t = tokenById(req);
    if (t.revoked_at !== null) return adminError(400, `Registration token with ID ${t.id} is already revoked`);
    t.revoked_at = req.now;
    return single(req, "user-registration_token", "user-registration-tokens", tokenResource(t, req.now));
  });
  add("POST", "/user-registration-tokens/:id/unrevoke", (req) => {
    const t = tokenById(req);
    if (t.revoked_at === null) return adminError(400, `Registration token with ID ${t.id} is not revoked`);
    t.revoked_at = null;
    return single(req, "user-registration_token", "user-registration-tokens", tokenResource(t, req.now));
  });

  add("GET", "/user-sessions", (req) => list(req, "user-session", "user-sessions", sessionsFiltered(req, [...req.mas.state.userSessions.values()]).map(userSessionResource)));
  add("GET", "/user-sessions/:id", (req) => single(req, "user-session", "user-sessions", userSessionResource(byId(req, req.mas.state.userSessions, "User session"))));
  add("POST", "/user-sessions/:id/finish", (req) => {
    const s = byId(req, req.mas.state.userSessions, "User session");
    if (s.finished_at !== null) return adminError(400, `User session with ID ${s.id} is already finished`);
    s.finished_at = req.now;
    return single(req, "user-session", "user-sessions", userSessionResource(s));
  });
  add("GET", "/compat-sessions", (req) => {
    let items = sessionsFiltered(req, [...req.mas.state.compatSessions.values()]);
    const us = filter(req, "user-session");
    if (us !== null) items = items.filter((s) => s.user_session_id === us);
    return list(req, "compat-session", "compat-sessions", items.map(compatResource));
  });
  add("GET", "/compat-sessions/:id", (req) => single(req, "compat-session", "compat-sessions", compatResource(byId(req, req.mas.state.compatSessions, "Compatibility session"))));
  add("POST", "/compat-sessions/:id/finish", (req) => {
    const s = byId(req, req.mas.state.compatSessions, "Compatibility session");
    if (s.finished_at !== null) return adminError(400, `Compatibility session with ID ${s.id} is already finished`);
    finishCompatSession(req.mas, s.id, req.now);
    return single(req, "compat-session", "compat-sessions", compatResource(s));
  });
  add("GET", "/oauth2-sessions", (req) => {
    let items = sessionsFiltered(req, [...req.mas.state.oauth2Sessions.values()]);
    const clients = filters(req, "client");
    if (clients.length) items = items.filter((s) => clients.includes(s.client_id));
    const kind = filter(req, "client-kind");
    if (kind !== null) {
      if (kind !== "static" && kind !== "dynamic") fail(400, "Invalid filter parameters");
      items = items.filter((s) => (req.mas.state.clients.get(s.client_id)?.is_static ?? false) === (kind === "static"));
    }
    for (const sc of filters(req, "scope")) items = items.filter((s) => scopeList(s.scope).includes(sc));
    return list(req, "oauth2-session", "oauth2-sessions", items.map(oauthResource));
  });
  add("GET", "/oauth2-sessions/:id", (req) => single(req, "oauth2-session", "oauth2-sessions", oauthResource(byId(req, req.mas.state.oauth2Sessions, "OAuth 2.0 session"))));
  add("POST", "/oauth2-sessions/:id/finish", (req) => {
    const s = byId(req, req.mas.state.oauth2Sessions, "OAuth 2.0 session");
    if (s.finished_at !== null) return adminError(400, `OAuth 2.0 session with ID ${s.id} is already finished`);
    finishOAuthSession(req.mas, s, req.now);
    return single(req, "oauth2-session", "oauth2-sessions", oauthResource(s));
  });

  // OAuth 2.0 clients (≥ v1.20.0): what an oauth2-session's `client_id` (the internal ULID) names.
  add("GET", "/oauth2-clients", listClients);
  add("GET", "/oauth2-clients/:id", (req) => single(req, "oauth2-client", "oauth2-clients", clientResource(byId(req, req.mas.state.clients, "OAuth 2.0 client"))));

  add("GET", "/personal-sessions", listPersonal);
  add("POST", "/personal-sessions", addPersonal);
  add("GET", "/personal-sessions/:id", (req) => single(req, "personal-session", "personal-sessions", personalResource(byId(req, req.mas.state.personalSessions, "Personal session"), null)));
  add("POST", "/personal-sessions/:id/revoke", (req) => {
    const s = byId(req, req.mas.state.personalSessions, "Personal session");
    if (s.revoked_at !== null) return adminError(409, `Personal session with ID ${s.id} is already revoked`);
    s.revoked_at = req.now;
    return single(req, "personal-session", "personal-sessions", personalResource(s, null));
  });
}

// ---------------------------------------------------------------- helpers

function byId<T>(req: Req, map: Map<string, T>, what: string): T {
  const id = pathUlid(req);
  const v = map.get(id);
  if (!v) fail(404, `${what} with ID ${id} not found`);
  return v!;
}

function userById(req: Req): MasUser {
  const id = pathUlid(req);
  const u = req.mas.state.users.get(id);
  if (!u) fail(404, `User ID ${id} not found`);
  return u!;
}

function tokenById(req: Req): MasRegistrationToken {
  const id = pathUlid(req);
  const t = req.mas.state.registrationTokens.get(id);
  if (!t) fail(404, `Registration token with ID ${id} not found`);
  return t!;
}

function siteConfig(req: Req): Res {
  const c = req.mas.state.siteConfig;
  return Res.json(200, {
    server_name: req.mas.state.serverName,
    password_login_enabled: c.password_login_enabled,
    password_registration_enabled: c.password_registration_enabled,
    password_registration_email_required: c.password_registration_email_required,
    password_registration_token_required: c.password_registration_token_required,
    registration_token_required: c.password_registration_token_required,
    email_change_allowed: true,
    displayname_change_allowed: true,
    password_change_allowed: true,
    account_recovery_allowed: false,
    account_deactivation_allowed: true,
    captcha_enabled: false,
    minimum_password_complexity: c.minimum_password_complexity,
  });
}

// ---------------------------------------------------------------- users

export function userResource(u: MasUser): Resource {
  return {
    id: u.id,
    attributes: {
      username: u.username,
      created_at: iso(u.created_at),
      locked_at: iso(u.locked_at),
      deactivated_at: iso(u.deactivated_at),
      admin: u.admin,
      legacy_guest: u.legacy_guest,
    },
  };
}

function listUsers(req: Req): Res {
  const admin = boolFilter(req, "admin");
  const guest = boolFilter(req, "legacy-guest");
  const search = filter(req, "search");
  const status = filter(req, "status");
  if (status !== null && !["active", "locked", "deactivated"].includes(status)) fail(400, "Invalid filter parameters");
  const like = search === null ? null : likeRegex(search);
  const items = [...req.mas.state.users.values()].filter(
    (u) =>
      (admin === undefined || u.admin === admin) &&
      (guest === undefined || u.legacy_guest === guest) &&
      (like === null || like.test(u.username)) &&
      (status === null ||
        (status === "active" ? u.locked_at === null && u.deactivated_at === null : status === "locked" ? u.locked_at !== null : u.deactivated_at !== null)),
  );
  return list(req, "user", "users", items.map(userResource));
}

/** `ILIKE '%s%'`, unescaped: `%` and `_` stay wildcards. */
function likeRegex(s: string): RegExp {
  const body = [...s].map((c) => (c === "%" ? ".*" : c === "_" ? "." : c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("");
  return new RegExp(body, "i");
}

function addUser(req: Req): Res {
  const body = jsonBody(req);
  const username = body.username;
  if (typeof username !== "string") return adminError(422, "username: missing field");
  const state = req.mas.state;
  if (userByUsername(state, username)) return adminError(409, "User already exists");
  if (!/^[a-z0-9=_\-./+]{1,255}$/.test(username) || username.startsWith("_")) return adminError(400, "Username is not valid");
  if (body.skip_homeserver_check !== true && !req.mas.hooks.isLocalpartAvailable(username)) return adminError(409, "Username is reserved by the homeserver");
  const u: MasUser = {
    id: ulid(req.now),
    username,
    created_at: req.now,
    locked_at: null,
    deactivated_at: null,
    admin: false,
    legacy_guest: false,
    password: null,
    emails: [],
  };
  state.users.set(u.id, u);
  req.mas.hooks.provisionUser(username, typeof body.displayname === "string" ? body.displayname : null);
  return single(req, "user", "users", userResource(u), 201);
}

function deactivate(req: Req): Res {
  const u = userById(req);
  const body = jsonBody(req, true);
  const erase = body.skip_erase !== true;
  const mas = req.mas;
  u.deactivated_at ??= req.now;
  // DeactivateUserJob: end every session, revoke personal sessions, drop emails, then delete_user in Synapse.
  for (const s of mas.state.userSessions.values()) if (s.user_id === u.id && s.finished_at === null) s.finished_at = req.now;
  for (const s of mas.state.oauth2Sessions.values()) if (s.user_id === u.id) finishOAuthSession(mas, s, req.now);
  for (const s of mas.state.compatSessions.values()) if (s.user_id === u.id) finishCompatSession(mas, s.id, req.now);
  for (const p of mas.state.personalSessions.values()) {
    if ((p.actor_user_id === u.id || p.owner_user_id === u.id) && p.revoked_at === null) p.revoked_at = req.now;
  }
  u.emails = [];
  mas.hooks.deleteUser(u.username, erase);
  return single(req, "user", "users", userResource(u));
}

// ---------------------------------------------------------------- registration tokens

export function tokenResource(t: MasRegistrationToken, now: number): Resource {
  return {
    id: t.id,
    attributes: {
      token: t.token,
      valid: tokenValid(t, now),
      usage_limit: t.usage_limit,
      times_used: t.times_used,
      created_at: iso(t.created_at),
      last_used_at: iso(t.last_used_at),
      expires_at: iso(t.expires_at),
      revoked_at: iso(t.revoked_at),
    },
  };
}

function listTokens(req: Req): Res {
  const used = boolFilter(req, "used");
  const revoked = boolFilter(req, "revoked");
  const expired = boolFilter(req, "expired");
  const valid = boolFilter(req, "valid");
  const now = req.now;
  const items = [...req.mas.state.registrationTokens.values()].filter(
    (t) =>
      (used === undefined || t.times_used > 0 === used) &&
      (revoked === undefined || (t.revoked_at !== null) === revoked) &&
      (expired === undefined || (t.expires_at !== null && t.expires_at < now) === expired) &&
      (valid === undefined || tokenValid(t, now) === valid),
  );
  return list(req, "user-registration_token", "user-registration-tokens", items.map((t) => tokenResource(t, now)));
}

function addToken(req: Req): Res {
  const body = jsonBody(req);
  const state = req.mas.state;
  const text = body.token === undefined || body.token === null ? alnum(12) : body.token;
  if (typeof text !== "string") return adminError(422, "token: invalid type");
  const usage = body.usage_limit === undefined ? null : u32Field(body.usage_limit, "usage_limit");
  const expires = body.expires_at === undefined ? null : dateField(body.expires_at, "expires_at");
  for (const t of state.registrationTokens.values()) if (t.token === text) return adminError(409, "A registration token with the same token already exists");
  const t: MasRegistrationToken = {
    id: ulid(req.now),
    token: text,
    usage_limit: usage,
    times_used: 0,
    created_at: req.now,
    last_used_at: null,
    expires_at: expires,
    revoked_at: null,
  };
  state.registrationTokens.set(t.id, t);
  return single(req, "user-registration_token", "user-registration-tokens", tokenResource(t, req.now), 201);
}

function updateToken(req: Req): Res {
  const t = tokenById(req);
  const body = jsonBody(req);
  // Absent = unchanged, explicit null = no limit / no expiry.
  const usage = "usage_limit" in body ? u32Field(body.usage_limit, "usage_limit") : t.usage_limit;
  const expires = "expires_at" in body ? dateField(body.expires_at, "expires_at") : t.expires_at;
  t.usage_limit = usage;
  t.expires_at = expires;
  return single(req, "user-registration_token", "user-registration-tokens", tokenResource(t, req.now));
}

// ---------------------------------------------------------------- sessions

interface SessionLike {
  id: string;
  user_id: string | null;
  created_at: number;
  finished_at: number | null;
  last_active_at: number | null;
}

function sessionsFiltered<T extends SessionLike>(req: Req, items: T[]): T[] {
  const user = filter(req, "user");
  if (user !== null) {
    if (!req.mas.state.users.has(user)) fail(404, `User ID ${user} not found`);
    items = items.filter((s) => s.user_id === user);
  }
  const status = filter(req, "status");
  if (status !== null) {
    if (status !== "active" && status !== "finished") fail(400, "Invalid filter parameters");
    items = items.filter((s) => (s.finished_at === null) === (status === "active"));
  }
  const date = (name: string) => {
    const v = filter(req, name);
    if (v === null) return null;
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) fail(400, "Invalid filter parameters");
    return ms;
  };
  const cb = date("created-before");
  const ca = date("created-after");
  const lb = date("last-active-before");
  const la = date("last-active-after");
  return items.filter(
    (s) =>
      (cb === null || s.created_at < cb) &&
      (ca === null || s.created_at > ca) &&
      (lb === null || (s.last_active_at !== null && s.last_active_at < lb)) &&
      (la === null || (s.last_active_at !== null && s.last_active_at > la)),
  );
}

function userSessionResource(s: MasUserSession): Resource {
  return {
    id: s.id,
    attributes: {
      created_at: iso(s.created_at),
      finished_at: iso(s.finished_at),
      user_id: s.user_id,
      user_agent: s.user_agent,
      last_active_at: iso(s.last_active_at),
      last_active_ip: s.last_active_ip,
    },
  };
}

function compatResource(s: MasCompatSession): Resource {
  return {
    id: s.id,
    attributes: {
      user_id: s.user_id,
      device_id: s.device_id,
      user_session_id: s.user_session_id,
      redirect_uri: s.redirect_uri,
      created_at: iso(s.created_at),
      user_agent: s.user_agent,
      last_active_at: iso(s.last_active_at),
      last_active_ip: s.last_active_ip,
      finished_at: iso(s.finished_at),
      human_name: s.human_name,
    },
  };
}

function oauthResource(s: MasOAuthSession): Resource {
  return {
    id: s.id,
    attributes: {
      created_at: iso(s.created_at),
      finished_at: iso(s.finished_at),
      user_id: s.user_id,
      user_session_id: s.user_session_id,
      client_id: s.client_id,
      scope: s.scope,
      user_agent: s.user_agent,
      last_active_at: iso(s.last_active_at),
      last_active_ip: s.last_active_ip,
      human_name: s.human_name,
    },
  };
}

// ---------------------------------------------------------------- OAuth 2.0 clients

function clientResource(c: MasClient): Resource {
  return {
    id: c.id,
    attributes: {
      client_id: c.client_id,
      client_name: c.client_name,
      client_uri: c.client_uri,
      logo_uri: typeof c.metadata.logo_uri === "string" ? c.metadata.logo_uri : null,
      redirect_uris: c.redirect_uris,
      grant_types: c.grant_types,
      is_static: c.is_static,
    },
  };
}

function listClients(req: Req): Res {
  const state = req.mas.state;
  let items = [...state.clients.values()];
  const kind = filter(req, "client-kind");
  if (kind !== null) {
    if (kind !== "static" && kind !== "dynamic") fail(400, "Invalid filter parameters");
    items = items.filter((c) => c.is_static === (kind === "static"));
  }
  const name = filter(req, "client-name");
  if (name !== null) items = items.filter((c) => (c.client_name ?? "").toLowerCase().includes(name.toLowerCase()));
  const uri = filter(req, "client-uri");
  if (uri !== null) items = items.filter((c) => (c.client_uri ?? "").toLowerCase().includes(uri.toLowerCase()));
  const grant = filter(req, "grant-type");
  if (grant !== null) items = items.filter((c) => c.grant_types.includes(grant));
  const active = boolFilter(req, "has-active-sessions");
  if (active !== undefined) {
    const live = new Set([...state.oauth2Sessions.values()].filter((s) => s.finished_at === null).map((s) => s.client_id));
    items = items.filter((c) => live.has(c.id) === active);
  }
  return list(req, "oauth2-client", "oauth2-clients", items.map(clientResource));
}

// ---------------------------------------------------------------- personal sessions

function personalResource(s: MasPersonalSession, accessToken: string | null): Resource {
  return {
    id: s.id,
    attributes: {
      created_at: iso(s.created_at),
      revoked_at: iso(s.revoked_at),
      owner_user_id: s.owner_user_id,
      owner_client_id: s.owner_client_id,
      actor_user_id: s.actor_user_id,
      human_name: s.human_name,
      scope: s.scope,
      last_active_at: iso(s.last_active_at),
      last_active_ip: s.last_active_ip,
      expires_at: iso(s.expires_at),
      ...(accessToken ? { access_token: accessToken } : {}),
    },
  };
}

function listPersonal(req: Req): Res {
  let items = [...req.mas.state.personalSessions.values()];
  const owner = filter(req, "owner_user");
  if (owner !== null) items = items.filter((s) => s.owner_user_id === owner);
  const actor = filter(req, "actor_user");
  if (actor !== null) items = items.filter((s) => s.actor_user_id === actor);
  const status = filter(req, "status");
  if (status !== null) {
    if (status !== "active" && status !== "revoked") fail(400, "Invalid filter parameters");
    items = items.filter((s) => (s.revoked_at === null) === (status === "active"));
  }
  return list(req, "personal-session", "personal-sessions", items.map((s) => personalResource(s, null)));
}

function addPersonal(req: Req, caller: Caller): Res {
  const body = jsonBody(req);
  const state = req.mas.state;
  if (typeof body.actor_user_id !== "string" || typeof body.human_name !== "string" || typeof body.scope !== "string") {
    return adminError(422, "missing field");
  }
  const actor = state.users.get(body.actor_user_id);
  if (!actor) return adminError(404, `User ID ${body.actor_user_id} not found`);
  if (actor.deactivated_at !== null) return adminError(410, `User ID ${actor.id} is deactivated`);
  const expiresIn = body.expires_in === undefined || body.expires_in === null ? null : u32Field(body.expires_in, "expires_in");
  const s: MasPersonalSession = {
    id: ulid(req.now),
    owner_user_id: caller.user?.id ?? null,
    owner_client_id: caller.user ? null : caller.clientId,
    actor_user_id: actor.id,
    human_name: body.human_name,
    scope: body.scope,
    created_at: req.now,
    revoked_at: null,
    expires_at: expiresIn === null ? null : req.now + expiresIn * 1000,
    last_active_at: null,
    last_active_ip: null,
  };
  state.personalSessions.set(s.id, s);
  const token = newToken("mpt");
  state.accessTokens.set(token, { token, session: { kind: "personal", id: s.id }, created_at: req.now, expires_at: s.expires_at, revoked_at: null });
  return single(req, "personal-session", "personal-sessions", personalResource(s, token), 201);
}

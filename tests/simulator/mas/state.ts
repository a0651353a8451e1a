// The MAS simulator's in-memory truth (mas-api.md, MAS v1.22.0). Users mirror the Synapse simulator's accounts by
// localpart (MAS is the source of truth for sign-in, lock, deactivation and `can_request_admin`); the OAuth 2.0
// clients, grants, sessions and tokens follow the data model the reference describes. Tests read and mutate it.
import { randomBytes } from "node:crypto";

// ---------------------------------------------------------------- ids and tokens

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
export const ULID_RE = /^[0123456789ABCDEFGHJKMNPQRSTVWXYZ]{26}$/;

let ulidCounter = 0n;
/** A ULID whose first 48 bits are `ms` (so ID order is creation order) and whose tail keeps it unique and ordered. */
export function ulid(ms: number): string {
  let t = BigInt(Math.max(0, Math.floor(ms)));
  let time = "";
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[Number(t % 32n)] + time;
    t /= 32n;
  }
  let r = ++ulidCounter + (BigInt(randomBytes(4).readUInt32BE()) << 48n);
  let tail = "";
  for (let i = 0; i < 16; i++) {
    tail = CROCKFORD[Number(r % 32n)] + tail;
    r /= 32n;
  }
  return time + tail;
}

export function alnum(n: number): string {
  const bytes = randomBytes(n);
  let s = "";
  for (let i = 0; i < n; i++) s += ALNUM[bytes[i] % ALNUM.length];
  return s;
}

export type TokenPrefix = "mat" | "mar" | "mct" | "mcr" | "mpt";
/** `<prefix>_<30 alphanumerics>_<6 base62 chars>` (crates/data-model/src/tokens.rs). */
export const newToken = (prefix: TokenPrefix) => `${prefix}_${alnum(30)}_${alnum(6)}`;

// ---------------------------------------------------------------- model

export interface MasUser {
  id: string;
  username: string;
  created_at: number;
  locked_at: number | null;
  deactivated_at: number | null;
  /** `can_request_admin`: permission to request admin scopes, never Synapse's admin column. */
  admin: boolean;
  legacy_guest: boolean;
  /** Plain text for the simulator; null = no password (cannot sign in with one). */
  password: string | null;
  emails: string[];
}

export interface MasClient {
  id: string;
  client_id: string;
  client_secret: string | null;
  token_endpoint_auth_method: string | null;
  redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  application_type: "web" | "native";
  client_name: string | null;
  client_uri: string | null;
  is_static: boolean;
  created_at: number;
  /** SHA-256 of the sorted metadata, for deduplicating registrations without a secret. */
  metadata_digest: string | null;
  /** What the registration request sent, echoed in the 201. */
  metadata: Record<string, unknown>;
}

export interface MasGrant {
  id: string;
  client_id: string;
  redirect_uri: string;
  scope: string;
  state: string | null;
  code_challenge: string | null;
  code_challenge_method: string | null;
  nonce: string | null;
  response_mode: string;
  created_at: number;
  /** Set once the user consented: the code, and whose it is. */
  code: string | null;
  user_id: string | null;
  user_session_id: string | null;
  /** First exchange time; a second exchange more than 20 s later ends the session. */
  exchanged_at: number | null;
  session_id: string | null;
  cancelled: boolean;
}

export interface MasUserSession {
  id: string;
  user_id: string;
  cookie: string;
  created_at: number;
  finished_at: number | null;
  user_agent: string | null;
  last_active_at: number | null;
  last_active_ip: string | null;
}

export interface MasOAuthSession {
  id: string;
  client_id: string;
  user_id: string | null;
  user_session_id: string | null;
  scope: string;
  created_at: number;
  finished_at: number | null;
  user_agent: string | null;
  last_active_at: number | null;
  last_active_ip: string | null;
  human_name: string | null;
}

export interface MasCompatSession {
  id: string;
  user_id: string;
  device_id: string | null;
  user_session_id: string | null;
  redirect_uri: string | null;
  created_at: number;
  finished_at: number | null;
  user_agent: string | null;
  last_active_at: number | null;
  last_active_ip: string | null;
  human_name: string | null;
}

export interface MasPersonalSession {
  id: string;
  owner_user_id: string | null;
  owner_client_id: string | null;
  actor_user_id: string;
  human_name: string;
  scope: string;
  created_at: number;
  revoked_at: number | null;
  expires_at: number | null;
  last_active_at: number | null;
  last_active_ip: string | null;
}

export type SessionRef =
  | { kind: "oauth2"; id: string }
  | { kind: "compat"; id: string }
  | { kind: "personal"; id: string };

export interface MasAccessToken {
  token: string;
  session: SessionRef;
  created_at: number;
  /** null = never expires (compat tokens, PATs without expiry). */
  expires_at: number | null;
  revoked_at: number | null;
}

export interface MasRefreshToken {
  token: string;
  session_id: string;
  access_token: string;
  created_at: number;
  consumed_at: number | null;
  /** The pair issued when this one was consumed (for the lost-response replay rule). */
  next: string | null;
  revoked_at: number | null;
}

export interface MasRegistrationToken {
  id: string;
  token: string;
  usage_limit: number | null;
  times_used: number;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
}

/** A password registration in progress (`user_registrations`). */
export interface MasRegistration {
  id: string;
  username: string;
  password: string;
  token_id: string | null;
  created_at: number;
  completed_at: number | null;
  /** The OAuth grant to continue after registering (prompt=create), if any. */
  grant_id: string | null;
}

export interface MasSiteConfig {
  password_login_enabled: boolean;
  password_registration_enabled: boolean;
  password_registration_email_required: boolean;
  password_registration_token_required: boolean;
  minimum_password_complexity: number;
}

export interface MasState {
  serverName: string;
  /** MAS version, e.g. "1.22.0" (`/api/admin/v1/version` answers "v1.22.0"). */
  version: string;
  users: Map<string, MasUser>;
  clients: Map<string, MasClient>;
  grants: Map<string, MasGrant>;
  userSessions: Map<string, MasUserSession>;
  oauth2Sessions: Map<string, MasOAuthSession>;
  compatSessions: Map<string, MasCompatSession>;
  personalSessions: Map<string, MasPersonalSession>;
  accessTokens: Map<string, MasAccessToken>;
  refreshTokens: Map<string, MasRefreshToken>;
  registrationTokens: Map<string, MasRegistrationToken>;
  registrations: Map<string, MasRegistration>;
  siteConfig: MasSiteConfig;
  /** `policy.data`: usernames always allowed to request admin scopes, and the client-registration switches. */
  policyData: { admin_users: string[]; admin_clients: string[]; client_registration: { allow_insecure_uris: boolean; allow_host_mismatch: boolean; allow_missing_client_uri: boolean } };
  /** `experimental.access_token_ttl`, seconds (default 300). */
  accessTokenTtlS: number;
  /** The shared secret Synapse sends to /oauth2/introspect (matrix_authentication_service.secret). */
  synapseSecret: string;
}

export function createMasState(serverName: string, version: string): MasState {
  return {
    serverName,
    version,
    users: new Map(),
    clients: new Map(),
    grants: new Map(),
    userSessions: new Map(),
    oauth2Sessions: new Map(),
    compatSessions: new Map(),
    personalSessions: new Map(),
    accessTokens: new Map(),
    refreshTokens: new Map(),
    registrationTokens: new Map(),
    registrations: new Map(),
    siteConfig: {
      password_login_enabled: true,
      password_registration_enabled: true,
      password_registration_email_required: false,
      password_registration_token_required: true,
      minimum_password_complexity: 3,
    },
    policyData: { admin_users: [], admin_clients: [], client_registration: { allow_insecure_uris: false, allow_host_mismatch: false, allow_missing_client_uri: false } },
    accessTokenTtlS: 300,
    synapseSecret: alnum(32),
  };
}

export function userByUsername(state: MasState, username: string): MasUser | undefined {
  for (const u of state.users.values()) if (u.username === username) return u;
  return undefined;
}

/** `is_valid()`: neither locked nor deactivated. */
export const userValid = (u: MasUser | undefined): u is MasUser => !!u && u.locked_at === null && u.deactivated_at === null;

/** authorization_grant.rego `can_request_admin`. */
export const canRequestAdmin = (state: MasState, u: MasUser) => u.admin || state.policyData.admin_users.includes(u.username);

/** Registration token `valid` (computed at response time). */
export function tokenValid(t: MasRegistrationToken, now: number): boolean {
  return t.revoked_at === null && (t.expires_at === null || now < t.expires_at) && (t.usage_limit === null || t.times_used < t.usage_limit);
}

export const API_SCOPE_STABLE = "urn:matrix:client:api:*";
export const API_SCOPE_UNSTABLE = "urn:matrix:org.matrix.msc2967.client:api:*";
export const MAS_ADMIN_SCOPE = "urn:mas:admin";
export const SYNAPSE_ADMIN_SCOPE = "urn:synapse:admin:*";

export const scopeList = (scope: string) => scope.split(" ").filter(Boolean);

// MAS's default policies (mas-api.md §2.1, §2.4): client_registration.rego and authorization_grant.rego, as far as
// the simulator needs them. Violations are texts; the caller maps them to the HTTP answers MAS gives.
import {
  API_SCOPE_STABLE,
  API_SCOPE_UNSTABLE,
  canRequestAdmin,
  MAS_ADMIN_SCOPE,
  scopeList,
  SYNAPSE_ADMIN_SCOPE,
  type MasState,
  type MasUser,
} from "./state";

const LOOPBACK = new Set(["localhost", "127.0.0.1", "0.0.0.0", "[::1]"]);
// The strict URL regex: lowercase DNS labels or loopback literals, optional port, a restricted path, a query, no fragment.
const URL_RE = /^([a-z][a-z0-9+.-]*):\/\/((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(:\d+)?([A-Za-z0-9/._~-]*)(\?[^#]*)?$/;

interface ParsedUri {
  scheme: string;
  host: string;
}

function parse(uri: string): ParsedUri | null {
  const m = URL_RE.exec(uri);
  return m ? { scheme: m[1], host: m[2] } : null;
}

const secure = (u: ParsedUri) => u.scheme === "https" && !LOOPBACK.has(u.host);
const sameOrSub = (host: string, parent: string) => host === parent || host.endsWith(`.${parent}`);

export function clientRegistrationViolations(state: MasState, meta: Record<string, unknown>): string[] {
  const opts = state.policyData.client_registration;
  const out: string[] = [];
  const clientUriRaw = typeof meta.client_uri === "string" ? meta.client_uri : null;
  const clientUri = clientUriRaw ? parse(clientUriRaw) : null;
  if (!clientUriRaw && !opts.allow_missing_client_uri) out.push("missing client_uri");
  else if (clientUriRaw && !clientUri) out.push("invalid client_uri");
  else if (clientUri && !opts.allow_insecure_uris && !secure(clientUri)) out.push("client_uri must be a secure URL");
  const kind = meta.application_type === "native" ? "native" : "web";
  const redirects = Array.isArray(meta.redirect_uris) ? (meta.redirect_uris as unknown[]) : [];
  for (const raw of redirects) {
    const r = typeof raw === "string" ? parse(raw) : null;
    if (!r) {
      out.push("invalid redirect_uri");
      continue;
    }
    if (kind === "web") {
      if (!opts.allow_insecure_uris && !secure(r)) out.push("invalid redirect_uri: web clients must use https");
      else if (clientUri && !opts.allow_host_mismatch && !sameOrSub(r.host, clientUri.host)) {
        out.push("invalid redirect_uri: redirect_uri host must be the same as or a subdomain of the client_uri host");
      }
    } else if (!(r.scheme === "http" && (r.host === "localhost" || r.host === "127.0.0.1" || r.host === "[::1]"))) {
      const reverse = clientUri ? clientUri.host.split(".").reverse().join(".") : null;
      if (r.scheme !== reverse) out.push("invalid redirect_uri: native clients must use a loopback or a private-use scheme");
    }
  }
  const grants = Array.isArray(meta.grant_types) ? (meta.grant_types as unknown[]) : ["authorization_code"];
  if (grants.includes("client_credentials") && meta.token_endpoint_auth_method === "none") {
    out.push("client_credentials grant requires a confidential client");
  }
  return out;
}

const DEVICE_RE = /^urn:matrix:(?:client|org\.matrix\.msc2967\.client):device:[A-Za-z0-9._~!$&'()*+,;=:@/-]{10,}$/;

/** authorization_grant.rego for an interactive grant (authorization_code): the violations, empty when allowed. */
export function grantViolations(state: MasState, user: MasUser, scope: string): string[] {
  const out: string[] = [];
  const scopes = scopeList(scope);
  let devices = 0;
  for (const s of scopes) {
    if (s === "openid" || s === "email" || s === "urn:mas:graphql:*" || s === API_SCOPE_STABLE || s === API_SCOPE_UNSTABLE) continue;
    if (s === MAS_ADMIN_SCOPE || s === SYNAPSE_ADMIN_SCOPE) {
      if (!canRequestAdmin(state, user)) out.push(`user is not allowed to request the scope ${s}`);
      continue;
    }
    if (DEVICE_RE.test(s)) {
      devices++;
      continue;
    }
    out.push(`scope '${s}' not allowed`);
  }
  if (devices > 1) out.push("only one device scope is allowed at a time");
  const stable = scopes.some((s) => s.startsWith("urn:matrix:client:"));
  const unstable = scopes.some((s) => s.startsWith("urn:matrix:org.matrix.msc2967.client:"));
  if (stable && unstable) out.push("cannot mix unstable and stable Matrix scopes");
  if (devices > 0 && !scopes.includes(API_SCOPE_STABLE) && !scopes.includes(API_SCOPE_UNSTABLE)) {
    out.push("a device scope needs the client API scope");
  }
  return out;
}

/** Introspection adds the other form of whichever Matrix API scope is present (`normalize_scope`). */
export function normalizeScope(scope: string): string {
  const scopes = scopeList(scope);
  if (scopes.includes(API_SCOPE_STABLE) && !scopes.includes(API_SCOPE_UNSTABLE)) scopes.push(API_SCOPE_UNSTABLE);
  else if (scopes.includes(API_SCOPE_UNSTABLE) && !scopes.includes(API_SCOPE_STABLE)) scopes.push(API_SCOPE_STABLE);
  return scopes.join(" ");
}

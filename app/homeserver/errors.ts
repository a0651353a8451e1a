/**
 * Typed errors for everything Steward says to a homeserver.
 *
 * Mapping is by HTTP status + Matrix `errcode`, never by the `error` text: Synapse rewords messages between
 * endpoints and releases (see the reference, §8). The server's text is kept as `serverMessage` and treated as
 * untrusted input (it is never put into `message`, which ends up in logs).
 */

export type HomeserverErrorKind =
  | "unknown_token" // 401 M_UNKNOWN_TOKEN: token unknown, expired or logged out
  | "missing_token" // 401 M_MISSING_TOKEN
  | "forbidden" // 403 (not an admin, wrong password, ...), or another 401
  | "not_found" // 404 with a Matrix body other than M_UNRECOGNIZED (usually M_NOT_FOUND)
  | "unrecognized" // 404/405 M_UNRECOGNIZED: endpoint not mounted (older Synapse, MAS delegation, proxy)
  | "rate_limited" // 429 / M_LIMIT_EXCEEDED that we could not (or would not) wait out
  | "invalid_param" // 400 M_INVALID_PARAM / M_MISSING_PARAM
  | "bad_request" // any other 4xx with a Matrix body (M_UNKNOWN, M_BAD_JSON, M_EXCLUSIVE, ...)
  | "user_in_use" // 400 M_USER_IN_USE
  | "invalid_username" // 400 M_INVALID_USERNAME
  | "user_deactivated" // 403 M_USER_DEACTIVATED
  | "user_locked" // 401 M_USER_LOCKED (1.134+)
  | "server_error" // 5xx, JSON or not (a proxy's HTML 502 still means "the server behind is down")
  | "timeout" // no complete answer within timeoutMs
  | "unreachable" // DNS failure, connection refused/reset, TLS failure, ...
  | "not_matrix" // a 2xx/4xx answer that is not a Matrix JSON body (HTML 404 from a proxy, garbage)
  | "unexpected"; // JSON of the wrong shape, an unexpected redirect or status

export interface HomeserverErrorInit {
  kind: HomeserverErrorKind;
  method: string;
  /** The templated path (no ids), e.g. "/_synapse/admin/v2/users/{userId}". */
  endpoint: string;
  /** scheme://host[:port] of the server that was asked (no credentials). */
  origin: string;
  /** The full URL with any access_token / credentials removed. */
  url?: string;
  status?: number | null;
  errcode?: string | null;
  serverMessage?: string | null;
  retryAfterMs?: number;
  body?: unknown;
  timeoutMs?: number;
  networkCode?: string;
  contentType?: string;
  /** Short, value-free detail for `message` (e.g. which fields failed to parse). */
  detail?: string;
  cause?: unknown;
}

/**
 * server.ts and the Remix bundle each hold their own copy of this module, so an error thrown by one copy must
 * still be recognised by the other: `instanceof` checks a global brand rather than the class identity.
 */
const BRAND = Symbol.for("steward.HomeserverError");

export class HomeserverError extends Error {
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
  override readonly name = "HomeserverError";
  readonly kind: HomeserverErrorKind;
  readonly method: string;
  readonly endpoint: string;
  readonly origin: string;
  readonly url?: string;
  /** HTTP status, or null when no response arrived (timeout, unreachable). */
  readonly status: number | null;
  readonly errcode: string | null;
  /** The server's `error` text. Untrusted: escape it when displaying, never interpret it. */
  readonly serverMessage: string | null;
  readonly retryAfterMs?: number;
  /** The parsed JSON error body (e.g. a UIA 401 with session/flows). Tokens are scrubbed out. */
  readonly body?: unknown;
  readonly timeoutMs?: number;
  /** Node network error code such as ECONNREFUSED or ENOTFOUND. */
  readonly networkCode?: string;
  readonly contentType?: string;

  constructor(init: HomeserverErrorInit) {
    const status = init.status ?? null;
    const parts = [`${init.method} ${init.endpoint}`, init.kind];
    if (status !== null) parts.push(String(status));
    if (init.errcode) parts.push(init.errcode);
    if (init.networkCode) parts.push(init.networkCode);
    if (init.detail) parts.push(init.detail);
    super(`Homeserver request failed: ${parts.join(" ")}`);
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
    // `cause` is installed non-enumerable so JSON.stringify(error) stays small and predictable.
    if (init.cause !== undefined) {
      Object.defineProperty(this, "cause", { value: init.cause, enumerable: false, configurable: true, writable: true });
    }
    this.kind = init.kind;
    this.method = init.method;
    this.endpoint = init.endpoint;
    this.origin = init.origin;
    if (init.url !== undefined) this.url = init.url;
    this.status = status;
    this.errcode = init.errcode ?? null;
    this.serverMessage = init.serverMessage ?? null;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    if (init.body !== undefined) this.body = init.body;
    if (init.timeoutMs !== undefined) this.timeoutMs = init.timeoutMs;
    if (init.networkCode !== undefined) this.networkCode = init.networkCode;
    if (init.contentType !== undefined) this.contentType = init.contentType;
    // `name` is a class field (enumerable by default); hide it like Error's own name.
    Object.defineProperty(this, "name", { enumerable: false });
  }
}

export function isHomeserverError(e: unknown, kind?: HomeserverErrorKind | HomeserverErrorKind[]): e is HomeserverError {
  if (!(e instanceof HomeserverError)) return false;
  if (kind === undefined) return true;
  return Array.isArray(kind) ? kind.includes(e.kind) : e.kind === kind;
}

/**
 * Classify a non-2xx answer. `matrixBody` is true when the body is a JSON object with a string `errcode`:
 * a JSON body without one came from something else (a proxy, another app), not from Synapse.
 */
export function kindForStatus(status: number, errcode: string | null, matrixBody: boolean): HomeserverErrorKind {
  if (status >= 500) return "server_error";
  if (status === 429 || errcode === "M_LIMIT_EXCEEDED") return "rate_limited";
  if (!matrixBody) return status >= 300 && status < 400 ? "unexpected" : "not_matrix";
  switch (errcode) {
    case "M_UNKNOWN_TOKEN":
      return "unknown_token";
    case "M_MISSING_TOKEN":
      return "missing_token";
    case "M_USER_DEACTIVATED":
      return "user_deactivated";
    case "M_USER_LOCKED":
      return "user_locked";
    case "M_USER_IN_USE":
      return "user_in_use";
    case "M_INVALID_USERNAME":
      return "invalid_username";
    case "M_UNRECOGNIZED":
      if (status === 404 || status === 405) return "unrecognized";
      break;
    case "M_INVALID_PARAM":
    case "M_MISSING_PARAM":
      if (status === 400) return "invalid_param";
      break;
  }
  if (status === 404) return "not_found";
  if (status === 405) return "unrecognized";
  if (status === 401 || status === 403) return "forbidden";
  if (status >= 400) return "bad_request";
  return "unexpected";
}

/** Server text is untrusted: strip control characters and cap the length before quoting it. */
function quote(text: string | null): string {
  if (!text) return "";
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  if (!clean) return "";
  return ` The homeserver said: “${clean.length > 200 ? `${clean.slice(0, 200)}…` : clean}”.`;
}

function seconds(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.ceil(s / 60)} min`;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "DNS lookup failed",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  CERT_HAS_EXPIRED: "TLS certificate expired",
  DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed TLS certificate",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "TLS certificate not trusted",
  ERR_TLS_CERT_ALTNAME_INVALID: "TLS certificate does not match the host name",
};

/** A plain-English sentence for an admin. Safe to show in the UI (as text, not HTML). */
export function describeHomeserverError(e: unknown): string {
  if (!isHomeserverError(e)) return "Something unexpected went wrong while talking to the homeserver.";
  const at = e.origin;
  switch (e.kind) {
    case "unknown_token":
      return "The homeserver rejected Steward's access token (it is unknown, expired or was logged out). Sign in again.";
    case "missing_token":
      return "The homeserver expected an access token, but none was sent. Sign in again.";
    case "forbidden":
      return e.errcode === "M_FORBIDDEN" && e.status === 403
        ? "The homeserver refused the request: the credentials are wrong, or the account is not a server admin."
        : `The homeserver refused the request (HTTP ${e.status}${e.errcode ? ` ${e.errcode}` : ""}).`;
    case "not_found":
      return "The homeserver does not know the requested item (for example an unknown user, token or destination).";
    case "unrecognized":
      return "This homeserver does not offer that API (it may be delegated to an authentication service, be too old, or a reverse proxy may not forward it).";
    case "rate_limited":
      return e.retryAfterMs !== undefined
        ? `The homeserver is rate limiting Steward; retry in ${seconds(e.retryAfterMs)}.`
        : "The homeserver is rate limiting Steward; retry in a little while.";
    case "invalid_param":
      // No status: Steward refused to send it (an id that cannot be one URL path segment).
      if (e.status === null) return "That id cannot be sent to the homeserver (it is empty, “.” or “..”, or not valid text).";
      return `The homeserver rejected a parameter of the request.${quote(e.serverMessage)}`;
    case "bad_request":
      return `The homeserver rejected the request (HTTP ${e.status}${e.errcode ? ` ${e.errcode}` : ""}).${quote(e.serverMessage)}`;
    case "user_in_use":
      return "That username is already taken.";
    case "invalid_username":
      return "That username is not allowed: use only a-z, 0-9 and = _ - . / +, do not start with _, and do not use only digits.";
    case "user_deactivated":
      return "That account has been deactivated.";
    case "user_locked":
      return "That account is locked.";
    case "server_error":
      return `The homeserver at ${at} had an internal error (HTTP ${e.status}). It may be overloaded, restarting, or hit a bug.`;
    case "timeout":
      return `The homeserver at ${at} did not answer within ${seconds(e.timeoutMs ?? 0)}.`;
    case "unreachable": {
      const why = e.networkCode ? NETWORK_REASONS[e.networkCode] ?? e.networkCode : undefined;
      return `The homeserver could not be reached at ${at}${why ? ` (${why})` : ""}.`;
    }
    case "not_matrix":
      return `The address ${at} answered with something that is not a Matrix homeserver response (HTTP ${e.status}${
        e.contentType ? `, ${e.contentType}` : ""
      }). Check the base URL and that the reverse proxy forwards /_matrix and /_synapse/admin.`;
    case "unexpected":
      if (e.status !== null && e.status >= 300 && e.status < 400) {
        return `The homeserver at ${at} answered with a redirect (HTTP ${e.status}); set the base URL to the final address.`;
      }
      return `The homeserver answered ${e.method} ${e.endpoint} in a format Steward does not understand.`;
  }
}

/**
 * HomeserverHttp: the single door through which Steward talks to a homeserver.
 *
 * Server-only. It owns URL building (every path parameter is percent-encoded), the bearer token (kept in a
 * private field so it cannot leak through JSON.stringify or error objects), timeouts, retries and the mapping
 * of every failure to a typed HomeserverError.
 */
import { HomeserverError, kindForStatus, type HomeserverErrorInit } from "./errors";
import { describeParseFailure } from "./parse";
import { nodeRequest, TransportTimeout, type TransportResponse } from "./transport";

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";
type QueryScalar = string | number | boolean;
export type QueryValue = QueryScalar | null | undefined | ReadonlyArray<QueryScalar>;
export type Query = Record<string, QueryValue>;
/** A zod schema (anything with `.parse`) or a plain function. */
export type Parser<T> = ((json: unknown) => T) | { parse: (json: unknown) => T };

export interface RequestEvent {
  method: string;
  /** The templated path, e.g. "/_synapse/admin/v2/users/{userId}": safe as a metric label (no ids). */
  endpoint: string;
  status: number | "error";
  durationMs: number;
  /** 0 for the first try, 1.. for retries. One event is emitted per HTTP attempt. */
  attempt: number;
}

export interface HomeserverHttpOptions {
  baseUrl: string;
  accessToken?: string;
  /** Per attempt. Default 10 s. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 3. */
  maxRetries?: number;
  /** The longest single wait Steward accepts for a 429; longer → rate_limited error. Default 30 s. */
  maxRetryWaitMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** For backoff jitter; injectable for tests. */
  random?: () => number;
  /** For HTTP-date Retry-After headers. */
  now?: () => number;
  onRequest?: (e: RequestEvent) => void;
  userAgent?: string;
}

export interface RequestOptions<T> {
  method: HttpMethod;
  /** Path template with {name} placeholders, filled from `params`. */
  path: string;
  params?: Record<string, string | number>;
  /** Arrays become repeated keys, booleans "true"/"false"; undefined and null are dropped. */
  query?: Query;
  body?: unknown;
  /** Send the bearer token. Default true. */
  auth?: boolean;
  /** May this be retried after 5xx/timeout/network errors? Default: GET/PUT/DELETE yes, POST no. */
  idempotent?: boolean;
  timeoutMs?: number;
  maxRetries?: number;
  /** Another origin (discovery of remote servers). Never combined with auth. */
  baseUrl?: string;
  parse?: Parser<T>;
}

type ShorthandOptions<T> = Omit<RequestOptions<T>, "method" | "path">;

const BACKOFF_BASE_MS = 250;
const BACKOFF_CAP_MS = 30_000;
const SECRET_KEYS = new Set(["access_token", "refresh_token", "password"]);

function trimBase(url: string): string {
  return url.replace(/\/+$/, "");
}

/** Remove credentials from a URL before it goes anywhere near an error or a log. */
export function sanitizeUrl(raw: string): string {
  try {
    const u = new URL(raw);
    u.username = "";
    u.password = "";
    for (const key of [...u.searchParams.keys()]) if (SECRET_KEYS.has(key)) u.searchParams.set(key, "<redacted>");
    return u.toString();
  } catch {
    return "<invalid url>";
  }
}

function resolveUrl(location: string, base: string): string {
  try {
    return new URL(location, base).toString();
  } catch {
    return "<invalid url>";
  }
}

function originOf(raw: string): string {
  try {
    return new URL(raw).origin;
  } catch {
    return "<invalid url>";
  }
}

export function buildQuery(query: Query | undefined): string {
  if (!query) return "";
  const sp = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    const list = Array.isArray(value) ? value : [value as QueryScalar];
    for (const v of list) sp.append(key, typeof v === "boolean" ? (v ? "true" : "false") : String(v));
  }
  const s = sp.toString();
  return s ? `?${s}` : "";
}

/** A path parameter whose value cannot be sent as one path segment. */
export class UnsendablePathParam extends Error {
  constructor(readonly param: string) {
    super(`Path parameter "${param}" cannot be sent as one path segment`);
  }
}

export function fillPath(template: string, params: Record<string, string | number> | undefined): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params?.[name];
    if (v === undefined) throw new Error(`Missing path parameter "${name}" for ${template}`);
    const s = String(v);
    // URL parsers (fetch included) resolve "." and ".." segments, so `users/..` would address another endpoint;
    // "" would address the parent collection. No percent-encoding helps ("%2e%2e" is a dot segment too).
    if (s === "" || s === "." || s === "..") throw new UnsendablePathParam(name);
    try {
      return encodeURIComponent(s);
    } catch {
      throw new UnsendablePathParam(name); // URIError: a lone surrogate has no UTF-8 form
    }
  });
}

/** Node's fetch hides the socket error in `cause` (sometimes nested, sometimes an AggregateError). */
function networkCodeOf(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur && typeof cur === "object"; i++) {
    const c = cur as { code?: unknown; cause?: unknown; errors?: unknown[] };
    if (typeof c.code === "string" && c.code !== "ERR_INVALID_ARG_TYPE") return c.code;
    cur = c.cause ?? (Array.isArray(c.errors) ? c.errors[0] : undefined);
  }
  return undefined;
}

export class HomeserverHttp {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly maxRetryWaitMs: number;
  // Private (#) so that JSON.stringify(http), console.log(http) and spreads never show the token.
  #token: string | undefined;
  #opts: HomeserverHttpOptions;

  constructor(opts: HomeserverHttpOptions) {
    this.#opts = opts;
    this.#token = opts.accessToken;
    this.baseUrl = trimBase(opts.baseUrl);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxRetries = opts.maxRetries ?? 3;
    this.maxRetryWaitMs = opts.maxRetryWaitMs ?? 30_000;
  }

  get hasToken(): boolean {
    return this.#token !== undefined;
  }

  /**
   * The bearer token itself, for a call to the authentication service with the same grant (under MAS one token
   * carries both `urn:synapse:admin:*` and `urn:mas:admin`). Server-side only; a method, so no serialisation sees it.
   */
  bearerToken(): string | undefined {
    return this.#token;
  }

  /** A copy talking to the same server with another token (e.g. a login-as-user token). */
  withToken(token: string | undefined): HomeserverHttp {
    return new HomeserverHttp({ ...this.#opts, accessToken: token });
  }

  get<T = unknown>(path: string, o: ShorthandOptions<T> = {}): Promise<T> {
    return this.request({ ...o, method: "GET", path });
  }
  post<T = unknown>(path: string, o: ShorthandOptions<T> = {}): Promise<T> {
    return this.request({ ...o, method: "POST", path });
  }
  put<T = unknown>(path: string, o: ShorthandOptions<T> = {}): Promise<T> {
    return this.request({ ...o, method: "PUT", path });
  }
  delete<T = unknown>(path: string, o: ShorthandOptions<T> = {}): Promise<T> {
    return this.request({ ...o, method: "DELETE", path });
  }

  async request<T = unknown>(o: RequestOptions<T>): Promise<T> {
    const auth = o.auth ?? true;
    const base = o.baseUrl !== undefined ? trimBase(o.baseUrl) : this.baseUrl;
    if (auth && o.baseUrl !== undefined && originOf(base) !== originOf(this.baseUrl)) {
      // Programming error, not a homeserver failure: the token must never travel to a third party.
      throw new Error("Refusing to send the access token to another origin");
    }
    let path: string;
    try {
      path = fillPath(o.path, o.params);
    } catch (err) {
      if (!(err instanceof UnsendablePathParam)) throw err;
      // Nothing is sent. Callers handle HomeserverErrors (a page shows the message), so report it as one.
      throw new HomeserverError({
        kind: "invalid_param",
        method: o.method,
        endpoint: o.path,
        origin: originOf(base),
        detail: `{${err.param}} cannot be sent as a path segment`,
      });
    }
    const url = `${base}${path}${buildQuery(o.query)}`;
    const idempotent = o.idempotent ?? o.method !== "POST";
    const maxRetries = o.maxRetries ?? this.maxRetries;
    const ctx = { method: o.method, endpoint: o.path, origin: originOf(url), url: sanitizeUrl(url) };

    for (let attempt = 0; ; attempt++) {
      let json: unknown;
      try {
        json = await this.#attempt(o, url, auth, attempt, ctx, idempotent);
      } catch (err) {
        if (!(err instanceof HomeserverError)) throw err;
        const wait = this.#retryDelay(err, attempt, idempotent, maxRetries);
        if (wait === undefined) throw err;
        await (this.#opts.sleep ?? defaultSleep)(wait);
        continue;
      }
      if (!o.parse) return json as T;
      try {
        return typeof o.parse === "function" ? o.parse(json) : o.parse.parse(json);
      } catch (err) {
        if (err instanceof HomeserverError) throw err;
        // Neither the raw JSON nor the parser's error is attached: a success body may hold tokens (login,
        // login-as), and parser messages can quote values. The paths/codes in `detail` are enough to debug.
        // The failure paths can contain keys of the body (records keyed by anything the server chose): scrub.
        throw new HomeserverError({ ...ctx, kind: "unexpected", status: 200, detail: this.#scrubString(describeParseFailure(err)) });
      }
    }
  }

  /** How long to wait before the next attempt, or undefined to give up and throw `err`. */
  #retryDelay(err: HomeserverError, attempt: number, idempotent: boolean, maxRetries: number): number | undefined {
    if (attempt >= maxRetries) return undefined;
    if (err.kind === "rate_limited") {
      // A 429 means the request was not processed, so even a POST may be repeated.
      if (err.retryAfterMs !== undefined) return err.retryAfterMs > this.maxRetryWaitMs ? undefined : err.retryAfterMs;
      return this.#backoff(attempt);
    }
    if (idempotent && (err.kind === "server_error" || err.kind === "timeout" || err.kind === "unreachable")) {
      return this.#backoff(attempt);
    }
    return undefined;
  }

  /** Exponential backoff with "equal jitter": half fixed, half random, so retries from many callers spread out. */
  #backoff(attempt: number): number {
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
    const random = this.#opts.random ?? Math.random;
    return Math.round(ceiling / 2 + (ceiling / 2) * random());
  }

  async #attempt(
    o: RequestOptions<unknown>,
    url: string,
    auth: boolean,
    attempt: number,
    ctx: Pick<HomeserverErrorInit, "method" | "endpoint" | "origin" | "url">,
    idempotent: boolean,
  ): Promise<unknown> {
    const timeoutMs = o.timeoutMs ?? this.timeoutMs;
    const headers: Record<string, string> = { Accept: "application/json", "User-Agent": this.#opts.userAgent ?? "Steward" };
    if (auth && this.#token !== undefined) headers.Authorization = `Bearer ${this.#token}`;
    let body: string | undefined;
    if (o.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(o.body);
    }
    // Never follow a redirect with the token attached; unauthenticated discovery may follow them (fetch does).
    const follow = !auth;
    const viaFetch = Boolean(this.#opts.fetch) || follow;
    // fetch is bounded by an AbortSignal; nodeRequest by its own timer (cheaper per request).
    const controller = viaFetch ? new AbortController() : undefined;
    const timer = controller ? setTimeout(() => controller.abort(), timeoutMs) : undefined;
    const started = performance.now();
    let status: number | "error" = "error";
    const fail = (extra: Partial<HomeserverErrorInit> & Pick<HomeserverErrorInit, "kind">) =>
      new HomeserverError({ ...ctx, ...extra, cause: extra.cause === undefined ? undefined : this.#scrubCause(extra.cause) });
    const transportError = (err: unknown) =>
      controller?.signal.aborted || err instanceof TransportTimeout
        ? fail({ kind: "timeout", timeoutMs })
        : fail({ kind: "unreachable", networkCode: networkCodeOf(err), cause: err });
    try {
      let res: TransportResponse;
      try {
        res = controller
          ? await (this.#opts.fetch ?? fetch)(url, { method: o.method, headers, body, signal: controller.signal, redirect: follow ? "follow" : "manual" })
          : await nodeRequest(url, { method: o.method, headers, body, timeoutMs, reuse: idempotent });
      } catch (err) {
        throw transportError(err);
      }
      status = res.status;
      let text: string;
      try {
        text = await res.text(); // still under the same timeout: a server that stalls mid-body times out too
      } catch (err) {
        throw transportError(err);
      }
      const rawContentType = res.headers.get("content-type");
      // Header values are server-controlled text too: they end up in errors and messages, so scrub them.
      const contentType = rawContentType === null ? undefined : this.#scrubString(rawContentType);
      let json: unknown;
      let isJson = true;
      try {
        json = JSON.parse(text);
      } catch {
        isJson = false; // content-type is not trusted either way: proxies serve well-known JSON as text/plain
      }
      if (res.status >= 200 && res.status < 300) {
        if (!isJson) throw fail({ kind: "not_matrix", status: res.status, contentType });
        return json;
      }
      const obj = isJson && json !== null && typeof json === "object" && !Array.isArray(json) ? (json as Record<string, unknown>) : null;
      // errcode goes into the error's `message` (and so into logs): scrub it like the rest of the body.
      const errcode = typeof obj?.errcode === "string" ? this.#scrubString(obj.errcode) : null;
      const serverMessage = typeof obj?.error === "string" ? obj.error : null;
      const kind = kindForStatus(res.status, errcode, errcode !== null);
      const init: HomeserverErrorInit = {
        ...ctx,
        kind,
        status: res.status,
        errcode,
        serverMessage: serverMessage === null ? null : this.#scrubString(serverMessage),
        contentType,
      };
      if (obj) init.body = this.#scrub(obj);
      if (kind === "rate_limited") {
        const retryAfterMs = this.#retryAfter(obj, res.headers.get("retry-after"));
        if (retryAfterMs !== undefined) init.retryAfterMs = retryAfterMs;
      }
      if (res.status >= 300 && res.status < 400) {
        const location = res.headers.get("location");
        // A malformed Location (e.g. "http://[") must not turn into a TypeError; the URL may also echo the token.
        if (location) init.serverMessage = this.#scrubString(`Redirected to ${sanitizeUrl(resolveUrl(location, url))}`);
      }
      throw new HomeserverError(init);
    } finally {
      clearTimeout(timer);
      try {
        this.#opts.onRequest?.({ method: o.method, endpoint: o.path, status, durationMs: performance.now() - started, attempt });
      } catch {
        // A metrics hook must never break a request.
      }
    }
  }

  /** `retry_after_ms` in the body wins; else `Retry-After` (seconds, or an HTTP date). */
  #retryAfter(body: Record<string, unknown> | null, header: string | null): number | undefined {
    const fromBody = body?.retry_after_ms;
    if (typeof fromBody === "number" && Number.isFinite(fromBody) && fromBody >= 0) return Math.ceil(fromBody);
    if (header) {
      const trimmed = header.trim();
      if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
      const date = Date.parse(trimmed);
      if (!Number.isNaN(date)) return Math.max(0, date - (this.#opts.now ?? Date.now)());
    }
    return undefined;
  }

  #scrubString(s: string): string {
    return this.#token ? s.split(this.#token).join("<redacted>") : s;
  }

  /** Defence in depth: error bodies are not expected to echo secrets, but if one does, it stops here. */
  #scrub(value: unknown, depth = 0): unknown {
    if (typeof value === "string") return this.#scrubString(value);
    if (value === null || typeof value !== "object") return value;
    // Deeper than any Matrix error body: cut it off rather than keep it unscrubbed.
    if (depth > 8) return "<truncated>";
    if (Array.isArray(value)) return value.map((v) => this.#scrub(v, depth + 1));
    const out: Record<string, unknown> = {};
    // Keys are scrubbed too: a server may key a map by anything, including the token it was sent.
    for (const [k, v] of Object.entries(value)) out[this.#scrubString(k)] = SECRET_KEYS.has(k) ? "<redacted>" : this.#scrub(v, depth + 1);
    return out;
  }

  /** Keep only the name/code/message of an underlying error, scrubbed, so nothing else rides along. */
  #scrubCause(err: unknown): { name: string; code?: string; message: string } {
    const e = err as { name?: unknown; message?: unknown };
    const code = networkCodeOf(err);
    return {
      name: typeof e?.name === "string" ? e.name : "Error",
      message: this.#scrubString(typeof e?.message === "string" ? e.message : safeString(err)),
      ...(code ? { code } : {}),
    };
  }
}

/** String(x) throws for objects without a prototype (or with a throwing toString); a cause must never throw. */
function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return "(unprintable error)";
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The MAS admin API's transport (mas-api.md §3.1): bearer token with the `urn:mas:admin` scope, the JSON:API-like
 * envelope, `{"errors":[{"title"}]}` failures and cursor pages. Every failure is a MasAdminError with a sentence
 * an admin understands; MAS's own title is kept (it is words, never a token) but no token reaches a message.
 * Writes are never retried: a repeated POST could issue a second generated token.
 */
export type MasAdminErrorKind =
  | "unreachable"
  | "timeout"
  /** 401: the token is unknown, expired or lacks `urn:mas:admin`. */
  | "unauthorized"
  | "forbidden"
  | "not_found"
  /** 409: e.g. a registration token with the same text exists. */
  | "conflict"
  /** 400/422: MAS refused the input (already revoked, invalid date…). */
  | "invalid"
  | "rate_limited"
  | "server_error"
  | "unexpected";

export class MasAdminError extends Error {
  constructor(
    readonly kind: MasAdminErrorKind,
    message: string,
    readonly status: number | null = null,
    /** MAS's own error title, when it gave one. */
    readonly title: string | null = null,
  ) {
    super(message);
    this.name = "MasAdminError";
  }
}

export const isMasAdminError = (e: unknown, kind?: MasAdminErrorKind): e is MasAdminError => e instanceof MasAdminError && (!kind || e.kind === kind);

export interface MasAdminOptions {
  /** MAS's base URL (its issuer); the admin API lives at `api/admin/v1/` below it. */
  baseUrl: string;
  accessToken: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface MasResource<A> {
  id: string;
  attributes: A;
}

export interface MasPage<A> {
  items: MasResource<A>[];
  /** Total matching items when MAS counted them. */
  count: number | null;
  hasNext: boolean;
  hasPrev: boolean;
}

export type MasAdminHttp = ReturnType<typeof masAdminHttp>;

function firstTitle(body: unknown): string | null {
  const errors = (body as { errors?: unknown })?.errors;
  if (!Array.isArray(errors) || !errors.length) return null;
  const t = (errors[0] as { title?: unknown })?.title;
  return typeof t === "string" ? t.slice(0, 300) : null;
}

function failure(status: number, body: unknown, what: string): MasAdminError {
  const title = firstTitle(body);
  const said = title ? ` It said: "${title}".` : "";
  if (status === 401) return new MasAdminError("unauthorized", `The authentication service did not accept Steward's admin token (${what}). Sign in again, or check that HOMESERVER_ADMIN_TOKEN has the urn:mas:admin scope.${said}`, status, title);
  if (status === 403) return new MasAdminError("forbidden", `The authentication service refused this (${what}).${said}`, status, title);
  if (status === 404) return new MasAdminError("not_found", `The authentication service does not know it (${what}).${said}`, status, title);
  if (status === 409) return new MasAdminError("conflict", `The authentication service already has one like it (${what}).${said}`, status, title);
  if (status === 400 || status === 415 || status === 422) return new MasAdminError("invalid", `The authentication service refused the request (${what}).${said}`, status, title);
  return new MasAdminError("unexpected", `The authentication service answered HTTP ${status} (${what}).${said}`, status, title);
}

export function masAdminHttp(opts: MasAdminOptions) {
  const root = new URL("api/admin/v1/", opts.baseUrl.endsWith("/") ? opts.baseUrl : `${opts.baseUrl}/`);
  async function request(method: string, path: string, what: string, body?: unknown, query?: Record<string, string | undefined>): Promise<unknown> {
    const url = new URL(path.replace(/^\//, ""), root);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const f = opts.fetch ?? fetch;
    let res: Response;
    try {
      res = await f(url, {
        method,
        headers: { authorization: `Bearer ${opts.accessToken}`, accept: "application/json", ...(body !== undefined ? { "content-type": "application/json" } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        redirect: "manual",
        signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      });
    } catch (e) {
      const name = (e as Error)?.name;
      if (name === "TimeoutError" || name === "AbortError") throw new MasAdminError("timeout", `The authentication service did not answer in time (${what}).`);
      throw new MasAdminError("unreachable", `The authentication service at ${root.origin} could not be reached (${what}).`);
    }
    const text = await res.text().catch(() => "");
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.status === 429) {
      const retry = Number(res.headers.get("retry-after"));
      const secs = Math.ceil(retry);
      const wait = Number.isFinite(retry) && retry > 0 ? ` in ${secs} second${secs === 1 ? "" : "s"}` : " in a moment";
      throw new MasAdminError("rate_limited", `The authentication service is limiting requests (${what}); try again${wait}.`, 429);
    }
    if (res.status >= 500) throw new MasAdminError("server_error", `The authentication service had an internal error (HTTP ${res.status}, ${what}). Nothing was changed by Steward; try again later.`, res.status, firstTitle(parsed));
    if (res.status < 200 || res.status >= 300) throw failure(res.status, parsed, what);
    return parsed;
  }

  function resource<A>(body: unknown, what: string): MasResource<A> {
    const data = (body as { data?: { id?: unknown; attributes?: unknown } })?.data;
    if (!data || typeof data.id !== "string" || typeof data.attributes !== "object" || data.attributes === null) {
      throw new MasAdminError("unexpected", `The authentication service gave an answer Steward does not understand (${what}).`);
    }
    return { id: data.id, attributes: data.attributes as A };
  }

  return {
    /** A plain JSON answer (no resource envelope), e.g. `/version` and `/site-config`. */
    async getJson(path: string, what: string): Promise<unknown> {
      return request("GET", path, what);
    },
    async get<A>(path: string, what: string): Promise<MasResource<A>> {
      return resource<A>(await request("GET", path, what), what);
    },
    async send<A>(method: "POST" | "PUT", path: string, what: string, body?: unknown): Promise<MasResource<A>> {
      return resource<A>(await request(method, path, what, body ?? {}), what);
    },
    /** A write whose answer Steward does not read (e.g. set-password answers 204 with no body). */
    async call(method: "POST" | "PUT" | "DELETE", path: string, what: string, body?: unknown): Promise<void> {
      await request(method, path, what, body ?? {});
    },
    /** One cursor page: `after`/`before` are item ids (ULIDs); `last` pages from the newest end. */
    async page<A>(path: string, what: string, p: { first?: number; last?: number; after?: string; before?: string; filters?: Record<string, string | undefined> }): Promise<MasPage<A>> {
      const query: Record<string, string | undefined> = {
        "page[first]": p.first !== undefined ? String(p.first) : undefined,
        "page[last]": p.last !== undefined ? String(p.last) : undefined,
        "page[after]": p.after,
        "page[before]": p.before,
      };
      for (const [k, v] of Object.entries(p.filters ?? {})) query[`filter[${k}]`] = v;
      const body = (await request("GET", path, what, undefined, query)) as { data?: unknown; meta?: { count?: unknown }; links?: Record<string, unknown> };
      if (!Array.isArray(body?.data)) throw new MasAdminError("unexpected", `The authentication service gave an answer Steward does not understand (${what}).`);
      return {
        items: body.data.map((d) => resource<A>({ data: d }, what)),
        count: typeof body.meta?.count === "number" ? body.meta.count : null,
        hasNext: typeof body.links?.next === "string",
        hasPrev: typeof body.links?.prev === "string",
      };
    },
  };
}

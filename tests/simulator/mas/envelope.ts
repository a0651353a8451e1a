// The admin API's JSON:API-like envelope, cursor pagination, filters and error shapes (mas-api.md §3.1).
import { Res, type Req } from "./http";
import { ULID_RE } from "./state";

export const adminError = (status: number, ...titles: string[]) => Res.json(status, { errors: titles.map((title) => ({ title })) });

export class AdminError extends Error {
  constructor(readonly res: Res) {
    super("admin error");
  }
}
export const fail = (status: number, ...titles: string[]): never => {
  throw new AdminError(adminError(status, ...titles));
};

export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().replace(/\.(\d{3})Z$/, (_m, f) => (f === "000" ? "Z" : `.${f}Z`)));

export interface Resource {
  id: string;
  attributes: Record<string, unknown>;
}

export function single(req: Req, type: string, kind: string, r: Resource, status = 200): Res {
  return Res.json(status, {
    data: { type, id: r.id, attributes: r.attributes, links: { self: `/api/admin/v1/${kind}/${r.id}` } },
    links: { self: req.path },
  });
}

export function pathUlid(req: Req, name = "id"): string {
  const id = req.params[name];
  if (!ULID_RE.test(id)) fail(400, "Invalid ULID in path", `invalid character at ${id.length > 0 ? 0 : 0}`);
  return id;
}

/** Reads `filter[name]` (brackets literal or percent-encoded: URLSearchParams decodes both). */
export const filter = (req: Req, name: string) => req.query.get(`filter[${name}]`);
export const filters = (req: Req, name: string) => req.query.getAll(`filter[${name}]`);

export function boolFilter(req: Req, name: string): boolean | undefined {
  const v = filter(req, name);
  if (v === null) return undefined;
  if (v === "true") return true;
  if (v === "false") return false;
  return fail(400, "Invalid filter parameters");
}

/** A list page: items (sorted by id ascending) paged by cursor; `count` true|false|only. */
export function list(req: Req, type: string, kind: string, items: Resource[]): Res {
  const q = req.query;
  const first = q.get("page[first]");
  const last = q.get("page[last]");
  const after = q.get("page[after]");
  const before = q.get("page[before]");
  const countParam = q.get("count") ?? "true";
  if (!["true", "false", "only"].includes(countParam)) fail(400, "Invalid pagination parameters");
  if (first !== null && last !== null) fail(400, "Invalid pagination parameters", "Cannot specify both `page[first]` and `page[last]` parameters");
  const parseN = (v: string) => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < 1) fail(400, "Invalid pagination parameters");
    return n;
  };
  for (const c of [after, before]) if (c !== null && !ULID_RE.test(c)) fail(400, "Invalid pagination parameters");
  const backward = last !== null;
  const n = backward ? parseN(last) : first !== null ? parseN(first) : 10;

  const base = `/api/admin/v1/${kind}`;
  // The filters, in the order given, kept on every link.
  const kept = [...q.entries()].filter(([k]) => k.startsWith("filter[")).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  if (countParam === "false") kept.push("count=false");
  const link = (extra: string[]) => `${base}?${[...kept, ...extra].join("&")}`;
  const selfLink = `${base}${req.rawQuery ? `?${decodeURIComponent(req.rawQuery)}` : ""}`;

  const total = items.length;
  if (countParam === "only") return Res.json(200, { meta: { count: total }, links: { self: selfLink } });

  const sorted = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let window = sorted;
  if (after !== null) window = window.filter((r) => r.id > after);
  if (before !== null) window = window.filter((r) => r.id < before);
  const page = backward ? window.slice(Math.max(0, window.length - n)) : window.slice(0, n);
  const hasNext = backward ? before !== null && sorted.some((r) => r.id >= before) : window.length > page.length;
  const hasPrev = backward ? window.length > page.length : after !== null && sorted.some((r) => r.id <= after);

  const links: Record<string, string> = {
    self: selfLink,
    first: link([`page[first]=${n}`]),
    last: link([`page[last]=${n}`]),
  };
  if (hasNext && page.length) links.next = link([`page[after]=${page[page.length - 1].id}`, `page[first]=${n}`]);
  if (hasPrev && page.length) links.prev = link([`page[before]=${page[0].id}`, `page[last]=${n}`]);
  return Res.json(200, {
    ...(countParam === "false" ? {} : { meta: { count: total } }),
    data: page.map((r) => ({ type, id: r.id, attributes: r.attributes, links: { self: `${base}/${r.id}` }, meta: { page: { cursor: r.id } } })),
    links,
  });
}

/** A JSON body read like axum's Json: plain-text 415/400/422, not the envelope. */
export function jsonBody(req: Req, optional = false): Record<string, unknown> {
  if (optional && req.body.length === 0) return {};
  const ct = String(req.headers["content-type"] ?? "");
  if (!ct.startsWith("application/json")) {
    throw new AdminError(new Res(415, "Expected request with `Content-Type: application/json`", { "Content-Type": "text/plain; charset=utf-8" }));
  }
  let v: unknown;
  try {
    v = JSON.parse(req.body.toString("utf8"));
  } catch (err) {
    throw new AdminError(new Res(400, `Failed to parse the request body as JSON: ${(err as Error).message}`, { "Content-Type": "text/plain; charset=utf-8" }));
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new AdminError(new Res(422, "Failed to deserialize the JSON body into the target type", { "Content-Type": "text/plain; charset=utf-8" }));
  }
  return v as Record<string, unknown>;
}

export const bodyError = (msg: string): never => {
  throw new AdminError(new Res(422, `Failed to deserialize the JSON body into the target type: ${msg}`, { "Content-Type": "text/plain; charset=utf-8" }));
};

/** RFC 3339 date-time from a body field, or a 422 like serde's. */
export function dateField(v: unknown, name: string): number | null {
  if (v === null) return null;
  if (typeof v !== "string" || Number.isNaN(Date.parse(v)) || !/^\d{4}-\d{2}-\d{2}T/.test(v)) return bodyError(`${name}: invalid date-time`);
  return Date.parse(v);
}

export function u32Field(v: unknown, name: string): number | null {
  if (v === null) return null;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffffffff) return bodyError(`${name}: invalid value, expected u32`);
  return v;
}

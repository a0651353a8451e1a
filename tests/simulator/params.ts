// Query-parameter parsing with Synapse's rules and (recorded) messages: integers must be ≥ 0, booleans
// exactly true/false, enums from a fixed list; all failures are 400 M_INVALID_PARAM. The first value of a
// repeated parameter wins, except where a handler asks for all values.
import { errors } from "./errors";

const pyList = (values: readonly string[]) => `[${values.map((v) => `'${v}'`).join(", ")}]`;

export function parseInteger(q: URLSearchParams, name: string, def: number): number;
export function parseInteger(q: URLSearchParams, name: string): number | undefined;
export function parseInteger(q: URLSearchParams, name: string, def?: number): number | undefined {
  const raw = q.get(name);
  if (raw === null) return def;
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw errors.invalidParam(`Query parameter ${name} must be an integer`);
  const value = Number.parseInt(raw, 10);
  if (value < 0) throw errors.invalidParam(`Query parameter ${name} must be a positive integer.`);
  return value;
}

export function parseBoolean(q: URLSearchParams, name: string, def: boolean): boolean;
export function parseBoolean(q: URLSearchParams, name: string): boolean | undefined;
export function parseBoolean(q: URLSearchParams, name: string, def?: boolean): boolean | undefined {
  const raw = q.get(name);
  if (raw === null) return def;
  if (raw === "true") return true;
  if (raw === "false") return false;
  throw errors.invalidParam(`Boolean query parameter '${name}' must be one of ['true', 'false']`);
}

export function parseString(q: URLSearchParams, name: string): string | undefined {
  return q.get(name) ?? undefined;
}

export function requireString(q: URLSearchParams, name: string): string {
  const raw = q.get(name);
  if (raw === null) throw errors.missingParam(`Missing string query parameter '${name}'`);
  return raw;
}

/** `allowed` is given in the order Synapse prints it in the error message. */
export function parseChoice<T extends string>(
  q: URLSearchParams,
  name: string,
  allowed: readonly T[],
  def: T,
): T {
  const raw = q.get(name);
  if (raw === null) return def;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw errors.invalidParam(`Query parameter '${name}' must be one of ${pyList(allowed)}`);
  }
  return raw as T;
}

/** `dir`: f (default) or b. */
export function parseDirection(q: URLSearchParams): "f" | "b" {
  const raw = q.get("dir");
  if (raw === null) return "f";
  if (raw !== "f" && raw !== "b") throw errors.invalidParam(`Query parameter 'dir' must be one of ['b', 'f']`);
  return raw;
}

/**
 * Offset paging as Synapse does it: `next_token` (a string) only while from + limit < total, and it is
 * from + the number returned — so `limit=0` yields `"next_token":"0"` forever, as the recorded server does.
 */
export function paginate<T>(all: T[], from: number, limit: number): { page: T[]; total: number; next_token?: string } {
  const page = all.slice(from, from + limit);
  const total = all.length;
  return from + limit < total ? { page, total, next_token: String(from + page.length) } : { page, total };
}

/** SQL LIKE with `%` and `_` wildcards (Synapse passes search terms into LIKE unescaped). */
export function likeMatcher(term: string, caseInsensitive = false): (s: string) => boolean {
  let re = "";
  let escaped = false;
  for (const ch of term) {
    if (escaped) {
      re += ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      escaped = false;
    } else if (ch === "\\") escaped = true; // PostgreSQL's default LIKE escape
    else if (ch === "%") re += "[\\s\\S]*";
    else if (ch === "_") re += "[\\s\\S]";
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  const rx = new RegExp(`^[\\s\\S]*${re}[\\s\\S]*$`, caseInsensitive ? "iu" : "u");
  return (s) => rx.test(s);
}

/**
 * PostgreSQL ordering under the C collation Synapse requires: byte-wise strings, false < true, and
 * NULLs last ascending / first descending. Returns a comparator for one column.
 */
export function pgCompare(a: unknown, b: unknown, desc: boolean): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) {
    if (an && bn) return 0;
    // NULL sorts as larger than any value; DESC reverses that.
    const r = an ? 1 : -1;
    return desc ? -r : r;
  }
  let r: number;
  if (typeof a === "string" && typeof b === "string") r = Buffer.compare(Buffer.from(a), Buffer.from(b));
  else r = Number(a) - Number(b);
  return desc ? -r : r;
}

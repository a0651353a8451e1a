/**
 * The report's URL query (filters, sort, paging), parsed once for the page, the exports and the nudge flow.
 * Unknown values fall back to the defaults; the one free-form number ("more than N sessions") reports its error
 * beside its field instead of being silently dropped.
 */
import { z } from "zod";
import { CHECKS } from "./classify.server";
import { EXTRA_CATEGORIES, SORTS, type PostureListQuery } from "./report.server";

export const PAGE_SIZE = 50;

const Base = z.object({
  check: z.enum(CHECKS).optional().catch(undefined),
  status: z.enum(["ok", "missing", "unknown"]).optional().catch(undefined),
  stale: z.literal("1").optional().catch(undefined),
  q: z.string().trim().max(255).optional().catch(undefined),
  sort: z.enum(SORTS).catch("user"),
  dir: z.enum(["asc", "desc"]).catch("asc"),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
});

export interface ParsedPostureQuery {
  query: PostureListQuery;
  errors: { more?: string };
  /** The raw values, to refill the form. */
  form: { check: string; status: string; stale: boolean; more: string; include: string[]; q: string; sort: string; dir: string };
}

export function parsePostureQuery(params: URLSearchParams): ParsedPostureQuery {
  const b = Base.parse(Object.fromEntries(params));
  const include = [...new Set(params.getAll("include"))].filter((c): c is (typeof EXTRA_CATEGORIES)[number] => (EXTRA_CATEGORIES as readonly string[]).includes(c));
  const moreRaw = (params.get("more") ?? "").trim();
  const errors: ParsedPostureQuery["errors"] = {};
  let moreThan: number | undefined;
  if (moreRaw !== "") {
    const n = Number(moreRaw);
    if (!Number.isInteger(n) || n < 0 || n > 10_000) errors.more = "Enter a whole number of sessions from 0 to 10000.";
    else moreThan = n;
  }
  return {
    query: {
      check: b.check,
      // A status without a check filters on the overall verdict (no longer ignored).
      status: b.check ? (b.status ?? "missing") : b.status,
      stale: b.stale === "1",
      moreThan,
      include,
      q: b.q || undefined,
      sort: b.sort,
      dir: b.dir,
      page: b.page,
      pageSize: PAGE_SIZE,
    },
    errors,
    form: {
      check: b.check ?? "",
      status: b.check ? (b.status ?? "missing") : (b.status ?? ""),
      stale: b.stale === "1",
      more: moreRaw,
      include,
      q: b.q ?? "",
      sort: b.sort,
      dir: b.dir,
    },
  };
}

/** The filter part of the query as URL parameters (for export links and "nudge everyone in this filter"). */
export function filterParams(q: PostureListQuery): URLSearchParams {
  const p = new URLSearchParams();
  if (q.check) p.set("check", q.check);
  if (q.status) p.set("status", q.status);
  if (q.stale) p.set("stale", "1");
  if (q.moreThan !== undefined) p.set("more", String(q.moreThan));
  for (const c of q.include) p.append("include", c);
  if (q.q) p.set("q", q.q);
  return p;
}

/** Users: Steward's copy of the homeserver's user list, searched, filtered, sorted and paged in its database. */
import type { LoaderFunctionArgs, MetaFunction, SerializeFrom } from "@remix-run/node";
import { json } from "@remix-run/node";
import { memo } from "react";
import { Form, Link, useLoaderData, useLocation } from "@remix-run/react";
import { z } from "zod";
import { Pager } from "~/components/Pager";
import { PageSize } from "~/components/PageSize";
import { RefreshButton } from "~/components/collectors/RefreshButton";
import { StaleBanner } from "~/components/collectors/StaleBanner";
import { Time } from "~/components/Time";
import { UserRows } from "~/components/users/UserRows";
import { DEFAULT_DIR, FILTER_LABELS, USER_FILTERS, USER_SORTS, type UserSort } from "~/services/users/filters";
import { collectorFreshness } from "~/services/collectors/freshness.server";
import { requireAdmin } from "~/services/auth/guard.server";
import { listStoredUsers } from "~/services/users/stored.server";
import { allowPageCache } from "~/services/page-cache/cache.server";
import { bulkJobsUnavailableKnown } from "~/services/users/bulk/availability.server";
import { pageSizeFor } from "~/services/lists/page-size.server";
import { prefetchedLoader } from "~/components/prefetch-data";

export const meta: MetaFunction = () => [{ title: "Users · Steward" }];

const MAX_DAYS = 3650;

const MAX_SEARCH = 200;
// Built per request, not at the top level, so zod stays out of the page's browser scripts (decision 038).
const schemas = () => ({
  Query: z.object({
    filter: z.enum(USER_FILTERS).catch("all"),
    sort: z.enum(USER_SORTS).catch("name"),
    dir: z.enum(["asc", "desc"]).optional().catch(undefined),
    page: z.coerce.number().int().min(1).max(100_000).catch(1),
  }),
  Days: z.coerce.number({ invalid_type_error: "x" }).int().min(1).max(MAX_DAYS),
});

export async function loader(args: LoaderFunctionArgs) {
  const { steward, session } = await requireAdmin(args);
  const params = new URL(args.request.url).searchParams;
  const { Query, Days } = schemas();
  const q = Query.parse(Object.fromEntries(params));
  // A search longer than the limit is refused with a message (it used to be dropped silently: every user shown).
  const rawQ = (params.get("q") ?? "").trim();
  const qError = rawQ.length > MAX_SEARCH ? `Search for at most ${MAX_SEARCH} characters (this one has ${rawQ.length.toLocaleString("en")}).` : null;
  // A bad "days" keeps the rest of the query and says what is wrong beside the field.
  const rawDays = params.get("days")?.trim() || "30";
  const days = Days.safeParse(rawDays);
  const now = new Date();
  const dir = q.dir ?? DEFAULT_DIR[q.sort];
  const pageSize = await pageSizeFor(steward.db, session.userId, params.get("size"));
  const [list, freshness] = await Promise.all([
    qError
      ? Promise.resolve({ rows: [] as Awaited<ReturnType<typeof listStoredUsers>>["rows"], total: 0, page: 1, pageSize, stored: -1 })
      : listStoredUsers(steward.db, { search: rawQ || undefined, filter: q.filter, days: days.success ? days.data : 30, sort: q.sort, dir, page: q.page, pageSize }, now, steward.database.kind, steward.countMemo),
    collectorFreshness(steward.db, steward.config, "user-counts", now),
  ]);
  // Under MAS bulk deactivation is refused (availability.server.ts): the page says so instead of linking to it.
  const bulkUnavailable = bulkJobsUnavailableKnown(steward.config);
  // Steward's database only: the rendered page may be served again until the data changes (decision 010).
  allowPageCache(args.context);
  return json(
    {
      ...list,
      rows: list.rows.map((r) => ({
        userId: r.userId,
        displayname: r.displayname,
        admin: r.admin,
        deactivated: r.deactivated,
        locked: r.locked,
        isGuest: r.isGuest,
        userType: r.userType,
        shadowBanned: r.shadowBanned,
        erased: r.erased,
        creationTs: r.creationTs?.toISOString() ?? null,
        lastSeenTs: r.lastSeenTs?.toISOString() ?? null,
      })),
      query: { q: rawQ, filter: q.filter, days: rawDays, sort: q.sort, dir },
      qError,
      bulkUnavailable,
      daysError: days.success ? null : `Enter a whole number of days from 1 to ${MAX_DAYS}.`,
      freshness,
    },
    { headers: { "Cache-Control": "no-store" } },
  );
}

function SortHeader({ sort, label, current, dir }: { sort: UserSort; label: string; current: UserSort; dir: "asc" | "desc" }) {
  const location = useLocation();
  const params = new URLSearchParams(location.search);
  const active = sort === current;
  params.set("sort", sort);
  params.set("dir", active ? (dir === "asc" ? "desc" : "asc") : DEFAULT_DIR[sort]);
  params.delete("page");
  return (
    <th aria-sort={active ? (dir === "asc" ? "ascending" : "descending") : undefined}>
      <Link to={`?${params}`}>
        {label}
        {active ? (dir === "asc" ? " ▲" : " ▼") : ""}
      </Link>
    </th>
  );
}

/** Takes the answer asked for while the pointer rested on a link here (decision 028). */
export const clientLoader = prefetchedLoader;

export default function UsersPageRoute() {
  return <UsersPage data={useLoaderData<typeof loader>()} />;
}

// Memoised on the loader data: when a navigation away starts, the router re-renders the page being left; with the
// same data nothing of it has to be drawn again while the next page's data is on its way (issue 18).
const UsersPage = memo(function UsersPage({ data }: { data: SerializeFrom<typeof loader> }) {
  const { query } = data;
  const usesDays = query.filter === "active" || query.filter === "inactive";
  return (
    <>
      <div style={{ display: "flex", alignItems: "center", gap: "1rem", flexWrap: "wrap" }}>
        <h1 style={{ marginRight: "auto" }}>Users</h1>
        {data.freshness.lastSuccessAt ? (
          <span className="muted small" data-testid="as-of">
            Steward&apos;s copy as of <Time value={data.freshness.lastSuccessAt} />
          </span>
        ) : null}
        <RefreshButton collector="user-counts" />
      </div>
      <StaleBanner freshness={data.freshness} />
      <Form method="get" className="toolbar" role="search">
        <div className="field">
          <label htmlFor="users-q">Search</label>
          <input
            id="users-q"
            type="search"
            name="q"
            defaultValue={query.q}
            placeholder="user id or display name"
            maxLength={MAX_SEARCH}
            aria-invalid={data.qError ? true : undefined}
            aria-describedby={data.qError ? "users-q-error" : undefined}
          />
          {data.qError ? (
            <div className="field-error" id="users-q-error" role="alert">
              {data.qError}
            </div>
          ) : null}
        </div>
        <div className="field">
          <label htmlFor="users-filter">Show</label>
          <select id="users-filter" name="filter" defaultValue={query.filter}>
            {USER_FILTERS.map((f) => (
              <option key={f} value={f}>
                {FILTER_LABELS[f]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="users-days">Days (N)</label>
          <input
            id="users-days"
            type="text"
            name="days"
            inputMode="numeric"
            defaultValue={query.days}
            size={5}
            aria-invalid={data.daysError ? true : undefined}
            aria-describedby={data.daysError ? "users-days-error" : undefined}
          />
          {data.daysError ? (
            <div className="field-error" id="users-days-error" role="alert">
              {data.daysError}
            </div>
          ) : null}
        </div>
        <input type="hidden" name="sort" value={query.sort} />
        <input type="hidden" name="dir" value={query.dir} />
        <button type="submit" className="secondary">
          Apply
        </button>
      </Form>
      {data.qError || data.stored === 0 || data.total === 0 || query.filter === "deactivated" || query.filter === "admins" ? null : data.bulkUnavailable ? (
        <p className="small muted" data-testid="bulk-unavailable">
          {data.bulkUnavailable}
        </p>
      ) : (
        <p className="small">
          {/* A preview lists every account first; admins and your own account are never included (decision 020). */}
          <a href={`/users/deactivate?${new URLSearchParams({ filter: query.filter, days: query.days, ...(query.q ? { q: query.q } : {}) })}`} data-testid="bulk-deactivate">
            Deactivate the accounts in this filter…
          </a>{" "}
          · <Link to="/bulk">Bulk jobs</Link>
        </p>
      )}
      {data.qError || data.stored === 0 ? null : <PageSize current={data.pageSize} />}
      {data.qError ? (
        <p className="muted">Shorten the search to see matching users.</p>
      ) : data.stored === 0 ? (
        <p className="muted">No users have been collected yet. The user-counts collector fills this list.</p>
      ) : data.rows.length === 0 && data.total > 0 ? null : data.rows.length === 0 ? (
        <p className="muted">No user matches{query.q ? ` “${query.q}”` : ""} with this filter{usesDays ? ` (${query.days} days)` : ""}.</p>
      ) : (
        <table data-testid="users-table">
          <thead>
            <tr>
              <SortHeader sort="name" label="User" current={query.sort} dir={query.dir} />
              <th>Flags</th>
              <SortHeader sort="created" label="Created" current={query.sort} dir={query.dir} />
              <SortHeader sort="last_seen" label="Last seen" current={query.sort} dir={query.dir} />
            </tr>
          </thead>
          <tbody>
            <UserRows rows={data.rows} />
          </tbody>
        </table>
      )}
      {data.qError ? null : <Pager page={data.page} pageSize={data.pageSize} total={data.total} />}
    </>
  );
});

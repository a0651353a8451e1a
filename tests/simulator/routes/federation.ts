// Federation admin API (reference §3, federation.json): destinations list/single, a destination's rooms and
// reset_connection — paging, every documented order_by, the undocumented `destination=` filter and the errors.
import { errors } from "../errors";
import { likeMatcher, paginate, parseChoice, parseDirection, parseInteger, parseString, pgCompare } from "../params";
import type { RouteContext, Router } from "../router";
import type { SimDestination } from "../seed-federation";

/** In the order Synapse prints them in the 400 message (recorded). */
export const DESTINATION_ORDER_BY = [
  "destination", "retry_last_ts", "retry_interval", "failure_ts", "last_successful_stream_ordering",
] as const;
type DestinationOrderBy = (typeof DESTINATION_ORDER_BY)[number];

const BASE = "/_synapse/admin/v1/federation/destinations";

export function register(router: Router): void {
  router.add({ method: "GET", path: BASE, auth: "admin", handler: listDestinations });
  router.add({
    method: "GET",
    path: `${BASE}/:destination`,
    auth: "admin",
    handler: (ctx) => entry(known(ctx)),
  });
  router.add({
    method: "GET",
    path: `${BASE}/:destination/rooms`,
    auth: "admin",
    handler: (ctx) => {
      const from = parseInteger(ctx.query, "from", 0);
      const limit = parseInteger(ctx.query, "limit", 100);
      const dir = parseDirection(ctx.query);
      const d = known(ctx);
      const desc = dir === "b";
      // ORDER BY room_id {dir}, stream_ordering {dir}
      const rooms = [...(ctx.state.federation.rooms.get(d.destination) ?? [])].sort(
        (a, b) => pgCompare(a.room_id, b.room_id, desc) || pgCompare(a.stream_ordering, b.stream_ordering, desc),
      );
      const { page, total, next_token } = paginate(rooms, from, limit);
      return { rooms: page.map((r) => ({ ...r })), total, ...(next_token !== undefined ? { next_token } : {}) };
    },
  });
  router.add({
    method: "POST",
    path: `${BASE}/:destination/reset_connection`,
    auth: "admin",
    handler: (ctx) => {
      ctx.json();
      const d = known(ctx);
      if (!d.retry_last_ts) throw errors.unknown("The retry timing does not need to be reset for this destination.");
      // Synapse clears the timings and wakes the sender; with nothing to send (or federation off) it stays so.
      Object.assign(d, { retry_last_ts: 0, retry_interval: 0, failure_ts: null });
      return {};
    },
  });
}

/**
 * PostgreSQL's C-collation order (UTF-8 bytes) for strings, without a Buffer per comparison (10,000 destinations
 * are sorted on every page): UTF-16 code-unit order equals UTF-8 byte order unless a string holds a surrogate or
 * a code unit ≥ U+E000, where we fall back to comparing bytes.
 */
function byteCompare(a: string, b: string): number {
  if (/[\uD800-\uFFFF]/.test(a) || /[\uD800-\uFFFF]/.test(b)) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return a < b ? -1 : a > b ? 1 : 0;
}

function known(ctx: RouteContext): SimDestination {
  const d = ctx.state.federation.destinations.get(ctx.params.destination);
  if (!d) throw errors.notFound("Unknown destination");
  return d;
}

function entry(d: SimDestination): Record<string, unknown> {
  return {
    destination: d.destination,
    retry_last_ts: d.retry_last_ts,
    retry_interval: d.retry_interval,
    failure_ts: d.failure_ts,
    last_successful_stream_ordering: d.last_successful_stream_ordering,
  };
}

function listDestinations(ctx: RouteContext): unknown {
  const q = ctx.query;
  const from = parseInteger(q, "from", 0);
  const limit = parseInteger(q, "limit", 100);
  const term = parseString(q, "destination");
  const orderBy = parseChoice<DestinationOrderBy>(q, "order_by", DESTINATION_ORDER_BY, "destination");
  const dir = parseDirection(q);
  // WHERE LOWER(destination) LIKE '%<term lowered>%'
  const like = term ? likeMatcher(term.toLowerCase()) : undefined;
  const all = [...ctx.state.federation.destinations.values()].filter((d) => !like || like(d.destination.toLowerCase()));
  const desc = dir === "b";
  // ORDER BY {order_by} {dir}, destination ASC (NULLs last ascending, first descending, as PostgreSQL)
  const primary =
    orderBy === "destination"
      ? (a: SimDestination, b: SimDestination) => (desc ? -1 : 1) * byteCompare(a.destination, b.destination)
      : (a: SimDestination, b: SimDestination) => pgCompare(a[orderBy], b[orderBy], desc);
  all.sort((a, b) => primary(a, b) || byteCompare(a.destination, b.destination));
  const { page, total, next_token } = paginate(all, from, limit);
  return { destinations: page.map(entry), total, ...(next_token !== undefined ? { next_token } : {}) };
}

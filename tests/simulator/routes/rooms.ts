// Rooms admin API (reference §2 "Room count"; statistics.json): the room list (offset paging with integer
// `next_batch`/`prev_batch`, `total_rooms`, `search_term`, the recorded `order_by` choices) and one room's details.
import { errors } from "../errors";
import { likeMatcher, parseChoice, parseDirection, parseInteger, parseString, pgCompare } from "../params";
import type { Router } from "../router";
import type { SimRoom } from "../seed-federation";

/** In the order Synapse prints them in the 400 message (recorded). */
export const ROOM_ORDER_BY = [
  "alphabetical", "size", "name", "canonical_alias", "joined_members", "joined_local_members", "version", "creator",
  "encryption", "federatable", "public", "join_rules", "guest_access", "history_visibility", "state_events",
] as const;
type RoomOrderBy = (typeof ROOM_ORDER_BY)[number];

function listEntry(r: SimRoom): Record<string, unknown> {
  const { topic: _topic, ...rest } = r;
  return { ...rest };
}

export function register(router: Router): void {
  router.add({
    method: "GET",
    path: "/_synapse/admin/v1/rooms",
    auth: "admin",
    handler: (ctx) => {
      const from = parseInteger(ctx.query, "from", 0);
      const limit = parseInteger(ctx.query, "limit", 100);
      const orderBy = parseChoice<RoomOrderBy>(ctx.query, "order_by", ROOM_ORDER_BY, "name");
      const dir = parseDirection(ctx.query);
      const term = parseString(ctx.query, "search_term");
      // Synapse matches the term against the room's name, canonical alias and id (case-insensitive).
      const like = term ? likeMatcher(term.toLowerCase()) : undefined;
      const all = [...ctx.state.federation.roomDirectory.values()].filter(
        (r) => !like || [r.name, r.canonical_alias, r.room_id].some((v) => v !== null && like(v.toLowerCase())),
      );
      // "alphabetical" is the deprecated spelling of "name"; "size" of "joined_members".
      const key = (orderBy === "alphabetical" ? "name" : orderBy === "size" ? "joined_members" : orderBy) as keyof SimRoom;
      const desc = dir === "b";
      all.sort((a, b) => pgCompare(a[key], b[key], desc) || pgCompare(a.room_id, b.room_id, false));
      const page = all.slice(from, from + limit);
      return {
        offset: from,
        rooms: page.map(listEntry),
        total_rooms: all.length,
        ...(from + page.length < all.length ? { next_batch: from + page.length } : {}),
        ...(from > 0 ? { prev_batch: Math.max(0, from - limit) } : {}),
      };
    },
  });
  router.add({
    method: "GET",
    path: "/_synapse/admin/v1/rooms/:roomId",
    auth: "admin",
    handler: (ctx) => {
      const roomId = ctx.params.roomId;
      if (!/^![^:]+:.+$/.test(roomId)) throw errors.unknown(`${roomId} is not a legal room ID`);
      const r = ctx.state.federation.roomDirectory.get(roomId);
      if (!r) throw errors.notFound("Room not found");
      return { ...r, avatar: null, joined_local_devices: r.joined_local_members, forgotten: false };
    },
  });
}

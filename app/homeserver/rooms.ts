/** Rooms admin API (reference §2; statistics.json): one room's details, for naming a room shown by its id. */
import { z } from "zod";
import type { HomeserverHttp } from "./http";

export interface RoomSummary {
  roomId: string;
  /** The room's name (m.room.name); null when it has none, as many direct chats do. */
  name: string | null;
  canonicalAlias: string | null;
  joinedMembers: number | null;
}

const detailsSchema = z
  .object({
    room_id: z.string(),
    name: z.string().nullish(),
    canonical_alias: z.string().nullish(),
    joined_members: z.number().nullish(),
  })
  .transform(
    (r): RoomSummary => ({ roomId: r.room_id, name: r.name ?? null, canonicalAlias: r.canonical_alias ?? null, joinedMembers: r.joined_members ?? null }),
  );

export function roomsApi(http: HomeserverHttp) {
  return {
    /** GET /_synapse/admin/v1/rooms/<room_id>; 404 not_found "Room not found" for a room this server does not know. */
    details(roomId: string): Promise<RoomSummary> {
      return http.get("/_synapse/admin/v1/rooms/{roomId}", { params: { roomId }, parse: detailsSchema });
    },
  };
}

export type RoomsApi = ReturnType<typeof roomsApi>;

/**
 * The rooms this server shares with a destination, read live from the homeserver: Synapse lists every room
 * shared with it, with the newest local event that still needs sending there (`stream_ordering`). A room is
 * *waiting* only when the destination is behind on it: its `last_successful_stream_ordering` is below the room's
 * `stream_ordering`. Names come from the admin rooms API where the homeserver gives them.
 */
import type { HomeserverClient } from "../../homeserver";
import { describeHomeserverError, isHomeserverError } from "../../homeserver/errors";

export type SharedRoomStatus = "waiting" | "up_to_date" | "unknown";

export interface SharedRoom {
  roomId: string;
  name: string | null;
  alias: string | null;
  streamOrdering: number;
  status: SharedRoomStatus;
}

export interface SharedRoomsPage {
  rows: SharedRoom[];
  total: number;
  from: number;
  /** Last event the destination took (null: Synapse does not track it for this destination). */
  lastSuccessfulStreamOrdering: number | null;
  /** Why some names are missing, when reading them failed (the ids are still shown). */
  namesError: string | null;
}

const NAME_CONCURRENCY = 6;

export function sharedRoomStatus(streamOrdering: number, lastSuccessful: number | null): SharedRoomStatus {
  if (lastSuccessful === null) return "unknown";
  return streamOrdering > lastSuccessful ? "waiting" : "up_to_date";
}

/** One page of shared rooms with their names and whether the destination is behind on each. */
export async function sharedRooms(hs: HomeserverClient, destination: string, page: { from: number; limit: number }): Promise<SharedRoomsPage> {
  const [dest, rooms] = await Promise.all([hs.federation.getDestination(destination), hs.federation.destinationRooms(destination, page)]);
  const names = new Map<string, { name: string | null; alias: string | null }>();
  let namesError: string | null = null;
  const queue = [...rooms.rooms];
  const worker = async () => {
    for (let r = queue.shift(); r; r = queue.shift()) {
      try {
        const d = await hs.rooms.details(r.roomId);
        names.set(r.roomId, { name: d.name, alias: d.canonicalAlias });
      } catch (e) {
        // A room this server forgot (404) simply has no name; anything else is said once, above the table.
        if (isHomeserverError(e) && e.kind === "not_found") continue;
        if (isHomeserverError(e, ["unknown_token", "missing_token"])) throw e;
        namesError ??= describeHomeserverError(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(NAME_CONCURRENCY, queue.length) }, worker));
  const lsso = dest.lastSuccessfulStreamOrdering;
  return {
    rows: rooms.rooms.map((r) => ({
      roomId: r.roomId,
      name: names.get(r.roomId)?.name ?? null,
      alias: names.get(r.roomId)?.alias ?? null,
      streamOrdering: r.streamOrdering,
      status: sharedRoomStatus(r.streamOrdering, lsso),
    })),
    total: rooms.total,
    from: page.from,
    lastSuccessfulStreamOrdering: lsso,
    namesError,
  };
}

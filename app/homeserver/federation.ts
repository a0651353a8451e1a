/** Federation destinations admin API (reference §3; 1.49+, rooms and reset since 1.52). */
import { z } from "zod";
import type { HomeserverHttp } from "./http";
import { finiteNumber, msTimestamp, msTimestampOrZero, nextToken, nullableNumber, numberOrZero } from "./parse";
import { pages, type PageLike, type PagingOptions } from "./paging";

export interface Destination {
  destination: string;
  /** ms of the last FAILED attempt; 0 after a success (null before 1.98 is normalised to 0). */
  retryLastTs: number;
  /** ms to wait after retryLastTs; 0 after a success. */
  retryInterval: number;
  /** ms: start of the current failure run; null after a success. */
  failureTs: number | null;
  /** Last PDU sent; null = not tracked. */
  lastSuccessfulStreamOrdering: number | null;
}

export interface DestinationPage extends PageLike {
  destinations: Destination[];
}

export interface DestinationRoom {
  roomId: string;
  /** Newest local PDU that still needs sending to this destination. */
  streamOrdering: number;
}

export interface DestinationRoomsPage extends PageLike {
  rooms: DestinationRoom[];
}

export type DestinationOrderBy =
  | "destination"
  | "retry_last_ts"
  | "retry_interval"
  | "failure_ts"
  | "last_successful_stream_ordering";

export interface ListDestinationsParams {
  from?: number | string;
  limit?: number;
  orderBy?: DestinationOrderBy;
  dir?: "f" | "b";
  /** Undocumented: case-insensitive substring filter on the destination name. */
  destination?: string;
}

const destinationSchema = z
  .object({
    destination: z.string(),
    retry_last_ts: msTimestampOrZero,
    retry_interval: numberOrZero,
    failure_ts: msTimestamp,
    last_successful_stream_ordering: nullableNumber,
  })
  .transform(
    (d): Destination => ({
      destination: d.destination,
      retryLastTs: d.retry_last_ts,
      retryInterval: d.retry_interval,
      failureTs: d.failure_ts,
      lastSuccessfulStreamOrdering: d.last_successful_stream_ordering,
    }),
  );

const destinationsSchema = z
  .object({ destinations: z.array(destinationSchema), total: finiteNumber, next_token: nextToken })
  .transform(
    (r): DestinationPage => ({
      destinations: r.destinations,
      total: r.total,
      ...(r.next_token !== undefined ? { nextToken: r.next_token } : {}),
    }),
  );

const roomsSchema = z
  .object({
    rooms: z.array(z.object({ room_id: z.string(), stream_ordering: finiteNumber })),
    total: finiteNumber,
    next_token: nextToken,
  })
  .transform(
    (r): DestinationRoomsPage => ({
      rooms: r.rooms.map((x) => ({ roomId: x.room_id, streamOrdering: x.stream_ordering })),
      total: r.total,
      ...(r.next_token !== undefined ? { nextToken: r.next_token } : {}),
    }),
  );

export function federationApi(http: HomeserverHttp) {
  const listDestinations = (p: ListDestinationsParams = {}): Promise<DestinationPage> =>
    http.get("/_synapse/admin/v1/federation/destinations", {
      query: { from: p.from, limit: p.limit, order_by: p.orderBy, dir: p.dir, destination: p.destination },
      parse: destinationsSchema,
    });

  const destinationRooms = (
    destination: string,
    p: { from?: number | string; limit?: number; dir?: "f" | "b" } = {},
  ): Promise<DestinationRoomsPage> =>
    http.get("/_synapse/admin/v1/federation/destinations/{destination}/rooms", {
      params: { destination },
      query: { from: p.from, limit: p.limit, dir: p.dir },
      parse: roomsSchema,
    });

  return {
    listDestinations,

    iterateDestinations(
      p: Omit<ListDestinationsParams, "from" | "limit"> = {},
      opts: PagingOptions = {},
    ): AsyncGenerator<DestinationPage> {
      return pages((from, limit) => listDestinations({ ...p, from, limit }), (page) => page.destinations, opts);
    },

    /** 404 not_found ("Unknown destination") for a server we never talked to. */
    getDestination(destination: string): Promise<Destination> {
      return http.get("/_synapse/admin/v1/federation/destinations/{destination}", {
        params: { destination },
        parse: destinationSchema,
      });
    },

    destinationRooms,

    iterateDestinationRooms(
      destination: string,
      p: { dir?: "f" | "b" } = {},
      opts: PagingOptions = {},
    ): AsyncGenerator<DestinationRoomsPage> {
      return pages((from, limit) => destinationRooms(destination, { ...p, from, limit }), (page) => page.rooms, opts);
    },

    /**
     * POST .../reset_connection: clears the backoff and wakes the sender. A healthy destination gives
     * 400 bad_request (M_UNKNOWN), an unknown one 404 not_found. Safe to repeat, hence idempotent.
     */
    async resetConnection(destination: string): Promise<void> {
      await http.post("/_synapse/admin/v1/federation/destinations/{destination}/reset_connection", {
        params: { destination },
        body: {},
        idempotent: true,
      });
    },
  };
}

export type FederationApi = ReturnType<typeof federationApi>;

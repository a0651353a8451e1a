/** Versions and server-wide statistics (reference §2 "Server version", "Statistics"; §7). */
import { z } from "zod";
import type { HomeserverHttp } from "./http";
import { finiteNumber, nextToken, nullableString } from "./parse";
import type { PageLike } from "./paging";

export interface ClientVersions {
  versions: string[];
  unstableFeatures: Record<string, boolean>;
}

export interface UserMediaStatistics {
  userId: string;
  displayname: string | null;
  mediaCount: number;
  /** Bytes. */
  mediaLength: number;
}

export interface UserMediaStatisticsPage extends PageLike {
  users: UserMediaStatistics[];
}

export interface UserMediaStatisticsParams {
  from?: number | string;
  limit?: number;
  orderBy?: "user_id" | "displayname" | "media_length" | "media_count";
  dir?: "f" | "b";
  /** ms */
  fromTs?: number;
  /** ms */
  untilTs?: number;
  searchTerm?: string;
}

const versionSchema = z.object({ server_version: z.string() }).transform((r) => ({ serverVersion: r.server_version }));

const federationVersionSchema = z
  .object({ server: z.object({ name: z.string(), version: z.string() }) })
  .transform((r) => ({ name: r.server.name, version: r.server.version }));

const clientVersionsSchema = z
  .object({ versions: z.array(z.string()), unstable_features: z.record(z.unknown()).nullish() })
  .transform(
    (r): ClientVersions => ({
      versions: r.versions,
      // Only true/false flags are meaningful; anything else is dropped rather than guessed.
      unstableFeatures: Object.fromEntries(
        Object.entries(r.unstable_features ?? {}).filter((e): e is [string, boolean] => typeof e[1] === "boolean"),
      ),
    }),
  );

const mediaStatsSchema = z
  .object({
    users: z.array(
      z.object({ user_id: z.string(), displayname: nullableString, media_count: finiteNumber, media_length: finiteNumber }),
    ),
    total: finiteNumber,
    next_token: nextToken, // an integer on this API, a string elsewhere
  })
  .transform(
    (r): UserMediaStatisticsPage => ({
      users: r.users.map((u) => ({
        userId: u.user_id,
        displayname: u.displayname,
        mediaCount: u.media_count,
        mediaLength: u.media_length,
      })),
      total: r.total,
      ...(r.next_token !== undefined ? { nextToken: r.next_token } : {}),
    }),
  );

export function serverApi(http: HomeserverHttp) {
  return {
    /** GET /_synapse/admin/v1/server_version: needs no token, so it also works before login. */
    serverVersion(): Promise<{ serverVersion: string }> {
      return http.get("/_synapse/admin/v1/server_version", { auth: false, parse: versionSchema });
    },

    /** GET /_matrix/federation/v1/version (no auth): software name and version as federation sees it. */
    federationVersion(): Promise<{ name: string; version: string }> {
      return http.get("/_matrix/federation/v1/version", { auth: false, parse: federationVersionSchema });
    },

    /** GET /_matrix/client/versions (no auth): confirms the client API is reachable. */
    clientVersions(): Promise<ClientVersions> {
      return http.get("/_matrix/client/versions", { auth: false, parse: clientVersionsSchema });
    },

    /** GET /_synapse/admin/v1/rooms?limit=1 → total_rooms. */
    async roomCount(): Promise<number> {
      const r = await http.get("/_synapse/admin/v1/rooms", {
        query: { limit: 1 },
        parse: z.object({ total_rooms: finiteNumber }),
      });
      return r.total_rooms;
    },

    /** GET /_synapse/admin/v1/statistics/users/media (offset paged). */
    userMediaStatistics(params: UserMediaStatisticsParams = {}): Promise<UserMediaStatisticsPage> {
      return http.get("/_synapse/admin/v1/statistics/users/media", {
        query: {
          from: params.from,
          limit: params.limit,
          order_by: params.orderBy,
          dir: params.dir,
          from_ts: params.fromTs,
          until_ts: params.untilTs,
          search_term: params.searchTerm,
        },
        parse: mediaStatsSchema,
      });
    },

    /**
     * GET /_synapse/admin/v1/statistics/database/rooms: top 10 rooms by estimated size. PostgreSQL only and
     * known to answer 500 on current Synapse (upstream bug): treat a server_error as "not available".
     */
    async databaseRoomStatistics(): Promise<Array<{ roomId: string; estimatedSize: number }>> {
      const r = await http.get("/_synapse/admin/v1/statistics/database/rooms", {
        maxRetries: 0, // a 500 here is deterministic; retrying only delays the dashboard
        parse: z.object({ rooms: z.array(z.object({ room_id: z.string(), estimated_size: finiteNumber })) }),
      });
      return r.rooms.map((x) => ({ roomId: x.room_id, estimatedSize: x.estimated_size }));
    },
  };
}

export type ServerApi = ReturnType<typeof serverApi>;

/** A row of Steward's stored user list (`homeserver_users`) as a collection would write it, for tests that fill it directly. */
import { searchTextOf } from "../../app/services/users/stored.server";
import type { homeserverUsers } from "../../db/schema";

export function storedUserRow(u: { userId: string; displayname?: string | null; deactivated?: boolean }): typeof homeserverUsers.$inferInsert {
  const displayname = u.displayname ?? null;
  return {
    userId: u.userId,
    displayname,
    admin: false,
    isGuest: false,
    deactivated: u.deactivated ?? false,
    locked: false,
    shadowBanned: false,
    erased: false,
    approved: true,
    searchText: searchTextOf(u.userId, displayname),
    runId: 1,
  };
}

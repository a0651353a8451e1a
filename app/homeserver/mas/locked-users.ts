/**
 * Which accounts MAS has locked (mas-api.md §3.2: `GET /api/admin/v1/users?filter[status]=locked`, cursor pages).
 * Under delegation the lock is MAS's: Synapse stores MAS's lock in its own `locked` column only from 1.150
 * (synapse-versions.md §1.12, mas-api.md §5.2), so on older Synapse the users list says "not locked" for a locked
 * account. The user-counts collector reads this set to store and count the lock correctly on every version.
 */
import { masAdminHttp, type MasAdminOptions } from "./admin-http";

interface UserAttributes {
  username: string;
  locked_at: string | null;
}

/** Usernames (localparts) of the locked accounts. Pages of 100; `max` bounds a pathological list. */
export async function masLockedUsernames(opts: MasAdminOptions, max = 100_000): Promise<Set<string>> {
  const http = masAdminHttp(opts);
  const out = new Set<string>();
  let after: string | undefined;
  for (;;) {
    const page = await http.page<UserAttributes>("users", "listing locked accounts", { first: 100, after, filters: { status: "locked" } });
    for (const u of page.items) if (typeof u.attributes.username === "string") out.add(u.attributes.username);
    if (!page.hasNext || !page.items.length || out.size >= max) return out;
    after = page.items[page.items.length - 1].id;
  }
}

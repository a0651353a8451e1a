/**
 * The admin's rows per page, remembered per admin (Matrix user id) in admin_preferences: a list URL with a valid
 * `size` sets it (and that is what the page shows); a list URL without one shows the remembered size, or 50.
 */
import { eq, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { adminPreferences } from "../../../db/schema";
import { DEFAULT_PAGE_SIZE, parsePageSize, type PageSize } from "./page-size";

export async function pageSizeFor(db: Db, userId: string, requested: string | null, now = new Date()): Promise<PageSize> {
  const size = parsePageSize(requested);
  if (size !== null) {
    // Written only when it changes: a write empties the rendered-page cache.
    await db
      .insert(adminPreferences)
      .values({ userId, pageSize: size, updatedAt: now })
      .onConflictDoUpdate({ target: adminPreferences.userId, set: { pageSize: size, updatedAt: now }, setWhere: sql`${adminPreferences.pageSize} <> ${size}` });
    return size;
  }
  const [row] = await db.select({ pageSize: adminPreferences.pageSize }).from(adminPreferences).where(eq(adminPreferences.userId, userId));
  return parsePageSize(String(row?.pageSize)) ?? DEFAULT_PAGE_SIZE;
}

/**
 * One page of a searchable list and how many rows match in all: the two queries behind the users list and the
 * security report. How they are run depends on the database, never what they answer.
 *
 * - PGlite has one connection, so the two queries run one after the other whatever we do. The page goes first and
 *   the count only when the page does not already tell the total (a full page, or an empty one past the start): a
 *   search for someone finds a page or less of matches, and a substring search's count reads every row again, so
 *   this spares a scan.
 * - PostgreSQL gives each query its own pooled connection. Waiting for the page before deciding to count put both
 *   scans end to end (users search p95 45 → 80 ms); counting beside the page costs some CPU and no waiting.
 *
 * The total is the same either way: a page that is not full holds every match from its offset on.
 */
import type { Database } from "../../../db/client";

export async function pageAndTotal<T>(
  kind: Database["kind"],
  at: { offset: number; pageSize: number },
  page: () => Promise<T[]>,
  count: () => Promise<number>,
): Promise<{ rows: T[]; total: number }> {
  if (kind === "postgres") {
    const [rows, total] = await Promise.all([page(), count()]);
    return { rows, total };
  }
  const rows = await page();
  if (rows.length === at.pageSize || (rows.length === 0 && at.offset > 0)) return { rows, total: await count() };
  return { rows, total: at.offset + rows.length };
}

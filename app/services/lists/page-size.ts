/** Rows per page of the long lists (users, security, federation), shared by the page-size links and the loaders. */
export const PAGE_SIZES = [50, 100, 500, 1000] as const;
export type PageSize = (typeof PAGE_SIZES)[number];
export const DEFAULT_PAGE_SIZE: PageSize = 50;

/** A page size from the URL's `size`, or null when it is absent or not one of PAGE_SIZES. */
export function parsePageSize(raw: string | null | undefined): PageSize | null {
  const n = Number(raw);
  return (PAGE_SIZES as readonly number[]).includes(n) ? (n as PageSize) : null;
}

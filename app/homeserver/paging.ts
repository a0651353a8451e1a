/**
 * Offset paging (`from` / `limit` / `next_token` / `total`) as used by the users, destinations, destination
 * rooms and media-statistics admin APIs.
 *
 * Real-server trap: `limit=0` answers 200 with an empty page and `"next_token":"0"`, so following next_token
 * blindly loops forever. We stop when next_token is absent, when a page is empty, or when next_token does not
 * move forward; and there is a hard page cap as a last resort.
 */

/** What every offset-paged response has in common, after parsing. */
export interface PageLike {
  total: number;
  /** Normalised to a string (it is an integer in statistics/users/media); undefined on the last page. */
  nextToken?: string;
}

/** Fetch one page starting at `from` (an offset, as the string the server gave us, or a number). */
export type PageFetcher<P extends PageLike> = (from: string | number, limit: number) => Promise<P>;

/** Which array of a page holds the items (e.g. `(p) => p.users`). */
export type ItemsOf<P, T> = (page: P) => readonly T[];

export interface PagingOptions {
  /** First offset. Default 0. */
  from?: string | number;
  /** Page size; values below 1 are raised to 1 (limit=0 never advances). Default 100. */
  limit?: number;
  /** Safety cap on the number of pages. Default 10_000. */
  maxPages?: number;
}

function advances(previous: string | number, next: string): boolean {
  const a = Number(previous);
  const b = Number(next);
  // Offsets are numeric in every API we use; if a server ever sends opaque tokens, accept any change.
  if (Number.isFinite(a) && Number.isFinite(b) && String(previous).trim() !== "" && next.trim() !== "") return b > a;
  return String(previous) !== next;
}

export async function* pages<P extends PageLike, T>(
  fetchPage: PageFetcher<P>,
  itemsOf: ItemsOf<P, T>,
  opts: PagingOptions = {},
): AsyncGenerator<P, void, undefined> {
  const limit = Math.max(1, Math.floor(opts.limit ?? 100));
  const maxPages = opts.maxPages ?? 10_000;
  let from: string | number = opts.from ?? 0;
  const seen = new Set<string>([String(from)]);
  for (let n = 0; n < maxPages; n++) {
    const page = await fetchPage(from, limit);
    yield page;
    const next = page.nextToken;
    if (next === undefined || itemsOf(page).length === 0) return;
    if (!advances(from, next) || seen.has(next)) return;
    seen.add(next);
    from = next;
  }
}

/** Every item across all pages. */
export async function* items<P extends PageLike, T>(
  fetchPage: PageFetcher<P>,
  itemsOf: ItemsOf<P, T>,
  opts: PagingOptions = {},
): AsyncGenerator<T, void, undefined> {
  for await (const page of pages(fetchPage, itemsOf, opts)) yield* itemsOf(page);
}

export async function collectAll<P extends PageLike, T>(
  fetchPage: PageFetcher<P>,
  itemsOf: ItemsOf<P, T>,
  opts: PagingOptions = {},
): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages(fetchPage, itemsOf, opts)) out.push(...itemsOf(page));
  return out;
}

/**
 * The pages of `source`, asking for the next one as soon as one is handed out: whatever the consumer does with a page
 * (storing it, say) overlaps the homeserver's answer for the next, instead of the two taking turns. At most one
 * request is ahead. A failed request surfaces when its page is due, after the pages before it were handled; a consumer
 * that stops early waits for the request in flight and discards it.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  const it = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    let next = it.next();
    for (;;) {
      const r = await next;
      if (r.done) {
        finished = true;
        return;
      }
      next = it.next();
      // Handled where it is awaited (next turn) or dropped with the consumer; not an unhandled rejection meanwhile.
      next.catch(() => undefined);
      yield r.value;
    }
  } finally {
    if (!finished) await it.return?.(undefined).catch(() => undefined);
  }
}

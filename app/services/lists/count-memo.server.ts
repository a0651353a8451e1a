/**
 * Counts of Steward's stored lists, kept until the data changes (decision 027).
 *
 * "How many stored users match" is the slowest part of the users list at scale: counting 100,000 rows reads all of
 * them, 15–40 ms, on every page, while the rows change only when a collection runs (every 15 minutes) or an admin
 * acts. The database's change feed (decision 009/010) says when any page data changed; until then a count made
 * for the same query is the same number.
 *
 * - A count is keyed by its query's SQL and parameters. A filter by time ("active in the last 30 days") has its
 *   cut-off among the parameters, so it is never served again: only counts that cannot drift with the clock are.
 * - Served only while the feed is live, after the feed's `sync()`: a change committed anywhere before the request
 *   has emptied the memo by then (read-after-write across processes, as for stored pages).
 * - A count made while a change arrived is not kept; `maxAgeMs` bounds a count's life in any case.
 */
import type { DataChangeFeed } from "../../../db/client";

interface Entry {
  value: number;
  generation: number;
  at: number;
}

export interface CountMemoStats {
  hits: number;
  misses: number;
}

export class CountMemo {
  private generation = 0;
  private readonly entries = new Map<string, Entry>();
  readonly stats: CountMemoStats = { hits: 0, misses: 0 };

  constructor(
    private readonly feed: Pick<DataChangeFeed, "live" | "sync" | "subscribe">,
    private readonly opts: { maxAgeMs: number; maxEntries?: number; now?: () => number } = { maxAgeMs: 5 * 60_000 },
  ) {
    // Every change, and every drop or return of the feed, empties the memo.
    feed.subscribe(() => {
      this.generation++;
      this.entries.clear();
    });
  }

  /** The count for `key`: the kept one when nothing changed since it was made, else `count()`'s (then kept). */
  async get(key: string, count: () => Promise<number>): Promise<number> {
    const now = this.opts.now ?? Date.now;
    if (this.feed.live) {
      const kept = this.entries.get(key);
      if (kept) {
        try {
          await this.feed.sync();
        } catch {
          // The feed went down: nothing may be served on the strength of "no change since".
        }
        if (this.feed.live && kept.generation === this.generation && now() - kept.at < this.opts.maxAgeMs) {
          this.stats.hits++;
          return kept.value;
        }
      }
    }
    this.stats.misses++;
    const generation = this.generation;
    const live = this.feed.live;
    const value = await count();
    if (live && this.feed.live && generation === this.generation) {
      if (this.entries.size >= (this.opts.maxEntries ?? 500)) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(key, { value, generation, at: now() });
    }
    return value;
  }

  get size(): number {
    return this.entries.size;
  }
}

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
 *   has dropped the count by then (read-after-write across processes, as for stored pages).
 * - A count names the tables it reads; only a change to one of them drops it (notifications name their table,
 *   decision 036). A sign-in's audit entry used to empty the memo, so the first list after every sign-in counted
 *   every stored user again.
 * - A count made while a change arrived is not kept; `maxAgeMs` bounds a count's life in any case.
 */
import type { DataChangeFeed } from "../../../db/client";

interface Entry {
  value: number;
  /** The tables the count reads: a change to any other table leaves it standing (decision 036). */
  tables: readonly string[];
  at: number;
}

export interface CountMemoStats {
  hits: number;
  misses: number;
}

export class CountMemo {
  /** Bumped by a change naming no table (the feed dropped or came back, or an older server's unnamed notice). */
  private everything = 0;
  /** Bumped by each change to a table. */
  private readonly changes = new Map<string, number>();
  private readonly entries = new Map<string, Entry>();
  readonly stats: CountMemoStats = { hits: 0, misses: 0 };

  constructor(
    private readonly feed: Pick<DataChangeFeed, "live" | "sync" | "subscribe">,
    private readonly opts: { maxAgeMs: number; maxEntries?: number; now?: () => number } = { maxAgeMs: 5 * 60_000 },
  ) {
    feed.subscribe((table) => {
      if (table === undefined) {
        this.everything++;
        this.entries.clear();
        return;
      }
      this.changes.set(table, (this.changes.get(table) ?? 0) + 1);
      for (const [key, e] of this.entries) if (e.tables.includes(table)) this.entries.delete(key);
    });
  }

  /** A number that moves whenever anything `tables` depend on may have changed. */
  private version(tables: readonly string[]): string {
    return `${this.everything}:${tables.map((t) => this.changes.get(t) ?? 0).join(",")}`;
  }

  /**
   * The count for `key`, which reads only `tables`: the kept one when none of them changed since it was made, else
   * `count()`'s (then kept).
   */
  async get(key: string, tables: readonly string[], count: () => Promise<number>): Promise<number> {
    const now = this.opts.now ?? Date.now;
    if (this.feed.live) {
      const kept = this.entries.get(key);
      if (kept) {
        try {
          await this.feed.sync();
        } catch {
          // The feed went down: nothing may be served on the strength of "no change since".
        }
        // Still there after the sync: no change to its tables arrived meanwhile.
        if (this.feed.live && this.entries.get(key) === kept && now() - kept.at < this.opts.maxAgeMs) {
          this.stats.hits++;
          return kept.value;
        }
      }
    }
    this.stats.misses++;
    const before = this.version(tables);
    const live = this.feed.live;
    const value = await count();
    // A count that raced a change to its tables (or the feed dropping) may be either side of it: not kept.
    if (live && this.feed.live && before === this.version(tables)) {
      if (this.entries.size >= (this.opts.maxEntries ?? 500)) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(key, { value, tables, at: now() });
    }
    return value;
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * The rendered-page cache (decision 010): a signed-in admin's pages are views of Steward's own database, which
 * changes only when a collector runs or someone acts. A page rendered for one session and URL is kept and served
 * again — to that session only, after its session check — until any page data changes (the database's change
 * feed), the process itself handles a mutation, or `ttlMs` passes (pages also show times computed at render).
 *
 * Everything per response stays per response: the CSP nonce is cut out of the stored body and a fresh one is put
 * back in for every answer; the request id, Server-Timing and cookies are never stored. A page is stored only when
 * its loader said it may be (`allowPageCache`) and nothing changed while it was being rendered.
 */
import type { AppLoadContext } from "@remix-run/node";

export interface PageCacheOptions {
  /** How long a stored page may be served, at most (0 turns the cache off). */
  ttlMs: number;
  /** Upper bound on the stored bodies' total size; the least recently used pages go first. */
  maxBytes: number;
  now?: () => number;
}

export interface CachedPage {
  status: number;
  /** Response headers to replay, without per-response ones; `{nonce}` marks where the nonce goes. */
  headers: Array<[string, string]>;
  /** The body cut at every occurrence of the response's nonce. */
  parts: string[];
}

interface Entry extends CachedPage {
  generation: number;
  storedAt: number;
  bytes: number;
}

/** What a loader marks while its request is being rendered (see allowPageCache). */
export interface PageCacheSlot {
  cacheable: boolean;
}

export type PageCacheStats = Record<"hits" | "misses" | "stores" | "invalidations", number>;

export const NONCE_MARK = "{nonce}";

export class PageCache {
  private generation = 0;
  private live = false;
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private readonly now: () => number;
  readonly stats: PageCacheStats = { hits: 0, misses: 0, stores: 0, invalidations: 0 };

  constructor(private readonly opts: PageCacheOptions) {
    this.now = opts.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.opts.ttlMs > 0 && this.live;
  }

  /** Which data version a render starting now sees; store() takes it back to refuse pages that raced a change. */
  get currentGeneration(): number {
    return this.generation;
  }

  /**
   * The change feed's state. While it is not live, changes can go unseen, so nothing is served or stored; every
   * flip also empties the cache (changes in a gap are unknown).
   */
  setLive(live: boolean): void {
    this.live = live;
    this.dataChanged();
  }

  /** Page data changed (or may have): every stored page is out of date. */
  dataChanged(): void {
    this.generation++;
    this.stats.invalidations++;
    this.entries.clear();
    this.bytes = 0;
  }

  lookup(key: string): CachedPage | undefined {
    if (!this.enabled) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.generation !== this.generation || this.now() - entry.storedAt >= this.opts.ttlMs) {
      this.drop(key, entry);
      return undefined;
    }
    // Least recently used order: a hit moves to the end.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  /** Keeps a page rendered from data of `generation`; refused when data changed since, or the page is too big. */
  store(key: string, generation: number, page: CachedPage): boolean {
    if (!this.enabled || generation !== this.generation) return false;
    const bytes = page.parts.reduce((n, p) => n + p.length * 2, 0) + 512;
    if (bytes > this.opts.maxBytes / 4) return false;
    const old = this.entries.get(key);
    if (old) this.drop(key, old);
    while (this.bytes + bytes > this.opts.maxBytes && this.entries.size) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, Entry];
      this.drop(oldestKey, oldest);
    }
    this.entries.set(key, { ...page, generation, storedAt: this.now(), bytes });
    this.bytes += bytes;
    this.stats.stores++;
    return true;
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(key: string, entry: Entry) {
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}

/** Cuts a rendered body at its nonce, for storing. */
export function splitAtNonce(body: string, nonce: string): string[] {
  return nonce ? body.split(nonce) : [body];
}

/** The stored body with a fresh nonce put back in. */
export function joinWithNonce(page: CachedPage, nonce: string): string {
  return page.parts.join(nonce);
}

/**
 * Called by a loader whose page depends only on Steward's database, the session and the URL (not on a live
 * homeserver answer): its rendered page may be stored and served again until the data changes.
 */
export function allowPageCache(context: AppLoadContext): void {
  if (context.pageCache) context.pageCache.cacheable = true;
}

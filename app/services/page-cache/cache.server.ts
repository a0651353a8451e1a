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
import { gzipTemplate, gzipWithNonce, type GzipTemplate } from "./gzip.server";

export interface PageCacheOptions {
  /** How long a stored page may be served, at most (0 turns the cache off). */
  ttlMs: number;
  /** Upper bound on the stored bodies' total size; the least recently used pages go first. */
  maxBytes: number;
  now?: () => number;
  /** In [0, 1): spreads pages' refresh times (tests fix it). */
  random?: () => number;
}

export interface CachedPage {
  status: number;
  /** Response headers to replay, without per-response ones; `{nonce}` marks where the nonce goes. */
  headers: Array<[string, string]>;
  /** The body (UTF-8) cut at every occurrence of the response's nonce. */
  parts: Buffer[];
}

interface Entry extends CachedPage {
  key: string;
  generation: number;
  storedAt: number;
  /** When it is due for a refresh: between half and all of ttlMs after it was stored. */
  dueAt: number;
  bytes: number;
  /** Made at the first answer that accepts gzip (many pages are never asked for twice). */
  gzip?: GzipTemplate;
  /** When a request past the page's time set out to render its replacement. */
  refreshingSince?: number;
}

const REFRESH_RETRY_MS = 2_000;

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
  private readonly random: () => number;
  readonly stats: PageCacheStats = { hits: 0, misses: 0, stores: 0, invalidations: 0 };

  constructor(private readonly opts: PageCacheOptions) {
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
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

  /** The stored page compressed with `nonce` (its compressed parts made once, on first use). */
  gzipped(page: CachedPage, nonce: string): Buffer {
    const entry = page as Entry;
    if (!entry.gzip) {
      entry.gzip = gzipTemplate(entry.parts);
      const extra = entry.gzip.deflated.reduce((n, d) => n + d.length, 0);
      entry.bytes += extra;
      // Still held (not dropped while this answer was being made): the store's total grows with it.
      if (this.entries.get(entry.key) === entry) this.bytes += extra;
    }
    return gzipWithNonce(entry.gzip, nonce);
  }

  /**
   * The page stored under `key`, if it may be served. Once due (data unchanged), the first caller gets undefined
   * and renders a fresh one, while callers meanwhile still get the old page; due times are spread over the second
   * half of ttlMs. Pages stored together (after a change) otherwise come due together, and re-rendering them all at
   * once stalled every answer behind them (load benchmark). A refresh that stored nothing is retried after
   * REFRESH_RETRY_MS; past twice ttlMs a page is never served.
   */
  lookup(key: string): CachedPage | undefined {
    if (!this.enabled) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const now = this.now();
    const age = now - entry.storedAt;
    if (entry.generation !== this.generation || age >= 2 * this.opts.ttlMs) {
      this.drop(key, entry);
      return undefined;
    }
    if (now >= entry.dueAt && (entry.refreshingSince === undefined || now - entry.refreshingSince >= REFRESH_RETRY_MS)) {
      entry.refreshingSince = now;
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
    const bytes = page.parts.reduce((n, p) => n + p.length, 0) + 512;
    if (bytes > this.opts.maxBytes / 4) return false;
    const old = this.entries.get(key);
    if (old) this.drop(key, old);
    while (this.bytes + bytes > this.opts.maxBytes && this.entries.size) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, Entry];
      this.drop(oldestKey, oldest);
    }
    // Pages stored together (after a change, or at start) would otherwise all come due together.
    const now = this.now();
    const dueAt = now + this.opts.ttlMs * (1 - this.random() / 2);
    this.entries.set(key, { ...page, key, generation, storedAt: now, dueAt, bytes });
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
export function splitAtNonce(body: Buffer, nonce: string): Buffer[] {
  if (!nonce) return [body];
  const mark = Buffer.from(nonce, "utf8");
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = body.indexOf(mark, from); at >= 0; at = body.indexOf(mark, from)) {
    parts.push(body.subarray(from, at));
    from = at + mark.length;
  }
  parts.push(body.subarray(from));
  return parts;
}

/** The stored body with a fresh nonce put back in. */
export function joinWithNonce(page: CachedPage, nonce: string): Buffer {
  const mark = Buffer.from(nonce, "utf8");
  const pieces: Buffer[] = [];
  page.parts.forEach((p, i) => {
    if (i > 0) pieces.push(mark);
    pieces.push(p);
  });
  return Buffer.concat(pieces);
}

/**
 * Called by a loader whose page depends only on Steward's database, the session and the URL (not on a live
 * homeserver answer): its rendered page may be stored and served again until the data changes.
 */
export function allowPageCache(context: AppLoadContext): void {
  if (context.pageCache) context.pageCache.cacheable = true;
}

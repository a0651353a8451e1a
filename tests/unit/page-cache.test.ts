/**
 * The rendered-page cache's store (decision 010), with an injected clock: what it serves, for how long, and what
 * empties it. The HTTP behaviour (session checks, nonces, change notifications) is in
 * tests/integration/page-cache.test.ts.
 */
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { PageCache, joinWithNonce, splitAtNonce, type CachedPage } from "../../app/services/page-cache/cache.server";

function page(body: string, nonce = "N0NCE"): CachedPage {
  return { status: 200, headers: [["content-type", "text/html"]], parts: splitAtNonce(Buffer.from(body), nonce) };
}
const text = (p: CachedPage | undefined) => p?.parts.map((b) => b.toString());

function liveCache(opts: { ttlMs?: number; maxBytes?: number; random?: () => number } = {}) {
  let now = 1_000;
  // random 0: every page is due after the whole ttlMs (the spread is tested on its own).
  const cache = new PageCache({ ttlMs: opts.ttlMs ?? 10_000, maxBytes: opts.maxBytes ?? 1_000_000, now: () => now, random: opts.random ?? (() => 0) });
  cache.setLive(true);
  return { cache, advance: (ms: number) => (now += ms) };
}

describe("PageCache", () => {
  it("serves a stored page until its time is up, then lets one caller render it again while others get the old one", () => {
    const { cache, advance } = liveCache({ ttlMs: 10_000 });
    expect(cache.store("k", cache.currentGeneration, page("<p>hello</p>"))).toBe(true);
    advance(9_999);
    expect(text(cache.lookup("k"))).toEqual(["<p>hello</p>"]);
    advance(1);
    expect(cache.lookup("k")).toBeUndefined(); // this caller renders
    expect(text(cache.lookup("k"))).toEqual(["<p>hello</p>"]); // the others, meanwhile
    advance(1_999);
    expect(cache.lookup("k")).toBeDefined();
    advance(1); // the refresh stored nothing within 2 s: the next caller tries again
    expect(cache.lookup("k")).toBeUndefined();
    expect(cache.lookup("k")).toBeDefined();
    cache.store("k", cache.currentGeneration, page("<p>again</p>"));
    expect(text(cache.lookup("k"))).toEqual(["<p>again</p>"]);
  });

  it("spreads the due times of pages stored together over the second half of their time", () => {
    // due = stored + ttl × (1 − random/2)
    const draws = [0.6, 0.8, 0.999];
    const { cache, advance } = liveCache({ ttlMs: 10_000, random: () => draws.shift()! });
    const g = cache.currentGeneration;
    for (const k of ["a", "b", "c"]) cache.store(k, g, page(k));
    const due = () => ["a", "b", "c"].filter((k) => cache.lookup(k) === undefined);
    advance(5_004);
    expect(due()).toEqual([]);
    advance(1);
    expect(due()).toEqual(["c"]); // 5,005 ms
    advance(995);
    expect(due()).toEqual(["b"]); // 6,000 (c is being refreshed: others get the old page meanwhile)
    advance(1_000);
    expect(due()).toEqual(["a"]); // 7,000
  });

  it("never serves a page twice its time old", () => {
    const { cache, advance } = liveCache({ ttlMs: 10_000 });
    cache.store("k", cache.currentGeneration, page("old"));
    advance(10_000);
    expect(cache.lookup("k")).toBeUndefined();
    advance(9_999);
    expect(cache.lookup("k")).toBeUndefined(); // no refresh came in 2 s: this caller tries
    expect(cache.lookup("k")).toBeDefined();
    advance(1);
    expect(cache.lookup("k")).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("forgets everything when data changes, and refuses a page rendered before the change", () => {
    const { cache } = liveCache();
    const before = cache.currentGeneration;
    cache.store("a", before, page("a"));
    cache.dataChanged();
    expect(cache.lookup("a")).toBeUndefined();
    // Rendered from data read before the change, finished after it: never stored.
    expect(cache.store("b", before, page("b"))).toBe(false);
    expect(cache.lookup("b")).toBeUndefined();
    expect(cache.store("b", cache.currentGeneration, page("b"))).toBe(true);
    expect(cache.lookup("b")).toBeDefined();
  });

  it("serves and stores nothing while the change feed is not live, and starts empty when it returns", () => {
    const { cache } = liveCache();
    cache.store("a", cache.currentGeneration, page("a"));
    cache.setLive(false);
    expect(cache.enabled).toBe(false);
    expect(cache.lookup("a")).toBeUndefined();
    expect(cache.store("a", cache.currentGeneration, page("a"))).toBe(false);
    cache.setLive(true);
    expect(cache.lookup("a")).toBeUndefined();
  });

  it("is off with a zero time", () => {
    const { cache } = liveCache({ ttlMs: 0 });
    expect(cache.enabled).toBe(false);
    expect(cache.store("a", cache.currentGeneration, page("a"))).toBe(false);
  });

  it("keeps within its size by dropping the least recently used page", () => {
    // Each page: 100 bytes + 512 bytes of bookkeeping = 612; room for four.
    const { cache } = liveCache({ maxBytes: 612 * 4 });
    const g = cache.currentGeneration;
    for (const k of ["a", "b", "c", "d"]) expect(cache.store(k, g, page(k.repeat(100)))).toBe(true);
    expect(cache.lookup("a")).toBeDefined(); // a is now the most recently used
    cache.store("e", g, page("e".repeat(100)));
    expect(cache.lookup("b")).toBeUndefined();
    expect(["a", "c", "d", "e"].map((k) => cache.lookup(k) !== undefined)).toEqual([true, true, true, true]);
    // A page bigger than a quarter of the whole store is not kept at all.
    expect(cache.store("huge", g, page("x".repeat(400)))).toBe(false);
  });

  it("gzips a stored page with the nonce it is given, and counts the compressed copy in its size", () => {
    const { cache } = liveCache();
    const g = cache.currentGeneration;
    cache.store("k", g, page(`<script nonce="N0NCE"></script>${"<tr><td>row</td></tr>".repeat(500)}`));
    const stored = cache.lookup("k")!;
    const one = zlib.gunzipSync(cache.gzipped(stored, "first")).toString();
    const two = zlib.gunzipSync(cache.gzipped(stored, "second")).toString();
    expect(one).toBe(joinWithNonce(stored, "first").toString());
    expect(two).toBe(one.replace("first", "second"));
    expect(two).toContain(`<script nonce="second">`);
  });

  it("puts a fresh nonce wherever the rendered one was", () => {
    const stored = page(`<script nonce="N0NCE">a</script><p>N0NCE</p><script nonce="N0NCE"></script>`);
    expect(stored.parts).toHaveLength(4);
    expect(joinWithNonce(stored, "fresh+/=").toString()).toBe(`<script nonce="fresh+/=">a</script><p>fresh+/=</p><script nonce="fresh+/="></script>`);
  });
});

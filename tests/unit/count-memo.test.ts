/**
 * Counts kept until the data changes (app/services/lists/count-memo.server.ts): served again only while the change
 * feed is live, after its sync, with no change since and within the age bound; a count that raced a change is not
 * kept.
 */
import { describe, expect, it } from "vitest";
import { CountMemo } from "../../app/services/lists/count-memo.server";

function fakeFeed() {
  const listeners = new Set<() => void>();
  const feed = {
    live: true,
    /** Run inside the next sync() (a change whose notification was still on its way). */
    duringSync: undefined as (() => void) | undefined,
    async sync() {
      const f = feed.duringSync;
      feed.duringSync = undefined;
      f?.();
    },
    subscribe(l: () => void) {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    change() {
      for (const l of listeners) l();
    },
  };
  return feed;
}

function counter(start = 10) {
  let n = start;
  const calls = { n: 0 };
  return { calls, set: (v: number) => (n = v), count: async () => (calls.n++, n) };
}

describe("CountMemo", () => {
  it("counts once, then answers from the kept count until the data changes", async () => {
    const feed = fakeFeed();
    const memo = new CountMemo(feed, { maxAgeMs: 60_000 });
    const c = counter(10);
    expect(await memo.get("k", c.count)).toBe(10);
    expect(await memo.get("k", c.count)).toBe(10);
    expect(c.calls.n).toBe(1);
    c.set(11);
    feed.change();
    expect(await memo.get("k", c.count)).toBe(11);
    expect(c.calls.n).toBe(2);
    expect(memo.stats).toEqual({ hits: 1, misses: 2 });
  });

  it("keeps each query's count apart", async () => {
    const memo = new CountMemo(fakeFeed(), { maxAgeMs: 60_000 });
    expect(await memo.get("a", async () => 1)).toBe(1);
    expect(await memo.get("b", async () => 2)).toBe(2);
    expect(await memo.get("a", async () => 99)).toBe(1);
  });

  it("waits for the feed's sync before answering: a change committed before the request is seen", async () => {
    const feed = fakeFeed();
    const memo = new CountMemo(feed, { maxAgeMs: 60_000 });
    const c = counter(5);
    await memo.get("k", c.count);
    c.set(6);
    feed.duringSync = () => feed.change();
    expect(await memo.get("k", c.count)).toBe(6);
  });

  it("keeps nothing while the feed is down, and serves nothing kept from before", async () => {
    const feed = fakeFeed();
    const memo = new CountMemo(feed, { maxAgeMs: 60_000 });
    const c = counter(3);
    await memo.get("k", c.count);
    feed.live = false;
    c.set(4);
    expect(await memo.get("k", c.count)).toBe(4);
    expect(await memo.get("k", c.count)).toBe(4);
    expect(c.calls.n).toBe(3);
    expect(memo.size).toBe(1); // the count from before the drop is still held, but not served
    feed.live = true;
    feed.change(); // the feed's return is announced as a change
    expect(memo.size).toBe(0);
  });

  it("does not keep a count made while the data changed", async () => {
    const feed = fakeFeed();
    const memo = new CountMemo(feed, { maxAgeMs: 60_000 });
    let n = 1;
    const racing = async () => {
      const v = n;
      n = 2;
      feed.change(); // committed while the count ran
      return v;
    };
    expect(await memo.get("k", racing)).toBe(1);
    expect(await memo.get("k", async () => n)).toBe(2);
  });

  it("counts again once a kept count is older than maxAgeMs", async () => {
    let t = 0;
    const memo = new CountMemo(fakeFeed(), { maxAgeMs: 1000, now: () => t });
    const c = counter(7);
    await memo.get("k", c.count);
    t = 999;
    await memo.get("k", c.count);
    expect(c.calls.n).toBe(1);
    t = 1000;
    await memo.get("k", c.count);
    expect(c.calls.n).toBe(2);
  });

  it("holds at most maxEntries counts, dropping the oldest", async () => {
    const memo = new CountMemo(fakeFeed(), { maxAgeMs: 60_000, maxEntries: 2 });
    for (const k of ["a", "b", "c"]) await memo.get(k, async () => 1);
    expect(memo.size).toBe(2);
    let counted = false;
    await memo.get("a", async () => ((counted = true), 1));
    expect(counted).toBe(true);
  });
});

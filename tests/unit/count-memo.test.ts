/**
 * Counts kept until the data changes (app/services/lists/count-memo.server.ts): served again only while the change
 * feed is live, after its sync, with no change since and within the age bound; a count that raced a change is not
 * kept.
 */
import { describe, expect, it } from "vitest";
import { CountMemo } from "../../app/services/lists/count-memo.server";

function fakeFeed() {
  const listeners = new Set<(table?: string) => void>();
  const feed = {
    live: true,
    /** Run inside the next sync() (a change whose notification was still on its way). */
    duringSync: undefined as (() => void) | undefined,
    async sync() {
      const f = feed.duringSync;
      feed.duringSync = undefined;
      f?.();
    },
    subscribe(l: (table?: string) => void) {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    /** A committed change to `table`; without one, "anything may have changed" (the feed dropped or came back). */
    change(table?: string) {
      for (const l of listeners) l(table);
    },
  };
  return feed;
}

function counter(start = 10) {
  let n = start;
  const calls = { n: 0 };
  return { calls, set: (v: number) => (n = v), count: async () => (calls.n++, n) };
}

const T = ["users"];

describe("CountMemo", () => {
  it("counts once, then answers from the kept count until the data changes", async () => {
    const feed = fakeFeed();
    const memo = new CountMemo(feed, { maxAgeMs: 60_000 });
    const c = counter(10);
    expect(await memo.get("k", T, c.count)).toBe(10);
    expect(await memo.get("k", T, c.count)).toBe(10);
    expect(c.calls.n).toBe(1);
    c.set(11);
    feed.change();
    expect(await memo.get("k", T, c.count)).toBe(11);
    expect(c.calls.n).toBe(2);
    expect(memo.stats).toEqual({ hits: 1, misses: 2 });
  });

  it("a change to another table leaves a count standing; one to its own table, or a change naming none, drops it", async () => {
    const feed = fakeFeed();
    const memo = new CountMemo(feed, { maxAgeMs: 60_000 });
    const c = counter(10);
    await memo.get("k", ["users"], c.count);
    feed.change("audit_events"); // e.g. a sign-in's audit entry
    expect(await memo.get("k", ["users"], c.count)).toBe(10);
    expect(c.calls.n).toBe(1);
    c.set(11);
    feed.change("users");
    expect(await memo.get("k", ["users"], c.count)).toBe(11);
    expect(c.calls.n).toBe(2);
    c.set(12);
    feed.change();
    expect(await memo.get("k", ["users"], c.count)).toBe(12);
    // A count over two tables goes with a change to either.
    await memo.get("j", ["users", "posture"], c.count);
    c.set(13);
    feed.change("posture");
    expect(await memo.get("j", ["users", "posture"], c.count)).toBe(13);
    expect(await memo.get("k", ["users"], c.count)).toBe(12);
  });

  it("keeps a count made while another table changed, not one made while its own changed", async () => {
    const feed = fakeFeed();
    const memo = new CountMemo(feed, { maxAgeMs: 60_000 });
    const during = (table: string, v: number) => async () => (feed.change(table), v);
    await memo.get("k", ["users"], during("audit_events", 1));
    expect(await memo.get("k", ["users"], async () => 99)).toBe(1);
    await memo.get("j", ["users"], during("users", 2));
    expect(await memo.get("j", ["users"], async () => 3)).toBe(3);
  });

  it("keeps each query's count apart", async () => {
    const memo = new CountMemo(fakeFeed(), { maxAgeMs: 60_000 });
    expect(await memo.get("a", T, async () => 1)).toBe(1);
    expect(await memo.get("b", T, async () => 2)).toBe(2);
    expect(await memo.get("a", T, async () => 99)).toBe(1);
  });

  it("waits for the feed's sync before answering: a change committed before the request is seen", async () => {
    const feed = fakeFeed();
    const memo = new CountMemo(feed, { maxAgeMs: 60_000 });
    const c = counter(5);
    await memo.get("k", T, c.count);
    c.set(6);
    feed.duringSync = () => feed.change();
    expect(await memo.get("k", T, c.count)).toBe(6);
  });

  it("keeps nothing while the feed is down, and serves nothing kept from before", async () => {
    const feed = fakeFeed();
    const memo = new CountMemo(feed, { maxAgeMs: 60_000 });
    const c = counter(3);
    await memo.get("k", T, c.count);
    feed.live = false;
    c.set(4);
    expect(await memo.get("k", T, c.count)).toBe(4);
    expect(await memo.get("k", T, c.count)).toBe(4);
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
    expect(await memo.get("k", T, racing)).toBe(1);
    expect(await memo.get("k", T, async () => n)).toBe(2);
  });

  it("counts again once a kept count is older than maxAgeMs", async () => {
    let t = 0;
    const memo = new CountMemo(fakeFeed(), { maxAgeMs: 1000, now: () => t });
    const c = counter(7);
    await memo.get("k", T, c.count);
    t = 999;
    await memo.get("k", T, c.count);
    expect(c.calls.n).toBe(1);
    t = 1000;
    await memo.get("k", T, c.count);
    expect(c.calls.n).toBe(2);
  });

  it("holds at most maxEntries counts, dropping the oldest", async () => {
    const memo = new CountMemo(fakeFeed(), { maxAgeMs: 60_000, maxEntries: 2 });
    for (const k of ["a", "b", "c"]) await memo.get(k, T, async () => 1);
    expect(memo.size).toBe(2);
    let counted = false;
    await memo.get("a", T, async () => ((counted = true), 1));
    expect(counted).toBe(true);
  });
});

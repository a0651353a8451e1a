/**
 * The change feed behind the page cache is refused when a notification sent by the process does not come back
 * (as behind a transaction-pooling proxy, where LISTEN succeeds but nothing is delivered): a cache trusting it would
 * serve old pages for ever. Fake feeds here; the real PostgreSQL and PGlite feeds are in
 * tests/integration/page-cache.test.ts.
 */
import { describe, expect, it } from "vitest";
import { proveDelivery, type DataChangeFeed } from "../../db/client";

type FakeFeed = DataChangeFeed & { deliver(payload: string): void };

function fakeFeed(delivers: boolean, live = true): FakeFeed {
  const listeners = new Set<(table?: string) => void>();
  return {
    live,
    subscribe(l) {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    async sync() {},
    // What `send` reaches: delivered to the listeners, or lost.
    deliver(payload) {
      if (delivers) setTimeout(() => listeners.forEach((l) => l(payload)), 5);
    },
  };
}

describe("proveDelivery", () => {
  it("accepts a feed that delivers what the process sends", async () => {
    const feed = fakeFeed(true);
    await expect(proveDelivery(feed, async (payload) => feed.deliver(payload))).resolves.toBeUndefined();
  });

  it("does not take another change's notification for its own", async () => {
    const feed = fakeFeed(true);
    await expect(proveDelivery(feed, async () => feed.deliver("audit_events"))).rejects.toThrow(/did not arrive/);
  });

  it("refuses a feed where the notification never arrives", async () => {
    const feed = fakeFeed(false);
    await expect(proveDelivery(feed, async (payload) => feed.deliver(payload))).rejects.toThrow(/did not arrive.*transaction-pooling proxy/);
  });

  it("refuses a feed that is not listening at all", async () => {
    await expect(proveDelivery(fakeFeed(true, false), async () => {})).rejects.toThrow(/could not be listened to/);
  });
});

import { describe, expect, it } from "vitest";
import { z } from "zod";
import { bool, boolOr, describeParseFailure, nextToken, numberOrZero, secondsTimestampAsMs } from "~/homeserver/parse";
import { collectAll, pages, readAhead, type PageLike } from "~/homeserver/paging";

describe("tolerant parsers", () => {
  it("booleans as true/false or 0/1; anything else is rejected", () => {
    expect([true, false, 1, 0].map((v) => bool.parse(v))).toEqual([true, false, true, false]);
    expect(bool.safeParse("true").success).toBe(false);
    expect(bool.safeParse(2).success).toBe(false);
    expect(boolOr(true).parse(undefined)).toBe(true);
    expect(boolOr(false).parse(null)).toBe(false);
    expect(boolOr(false).parse(1)).toBe(true);
  });

  it("nullable retry fields → 0", () => {
    expect(numberOrZero.parse(null)).toBe(0);
    expect(numberOrZero.parse(undefined)).toBe(0);
    expect(numberOrZero.parse(600000)).toBe(600000);
  });

  it("seconds timestamps become ms; an already-ms value is not multiplied again", () => {
    expect(secondsTimestampAsMs.parse(1795798354)).toBe(1795798354000);
    expect(secondsTimestampAsMs.parse(1795798354000)).toBe(1795798354000);
    expect(secondsTimestampAsMs.parse(null)).toBeNull();
  });

  it("next_token as string or integer, absent → undefined", () => {
    expect(nextToken.parse("5")).toBe("5");
    expect(nextToken.parse(5)).toBe("5");
    expect(nextToken.parse(undefined)).toBeUndefined();
    expect(nextToken.parse(null)).toBeUndefined();
  });

  it("describes failures by path and code, never by value", () => {
    const r = z.object({ access_token: z.number() }).safeParse({ access_token: "secret-value" });
    expect(r.success).toBe(false);
    const text = describeParseFailure(!r.success ? r.error : null);
    expect(text).toContain("access_token: invalid_type");
    expect(text).not.toContain("secret-value");
  });
});

interface P extends PageLike {
  items: number[];
}

/** A fake offset-paged endpoint over 0..n-1 that behaves like Synapse, including the limit=0 trap. */
function endpoint(n: number, log: Array<[string | number, number]>) {
  return async (from: string | number, limit: number): Promise<P> => {
    log.push([from, limit]);
    const start = Number(from);
    const itemsOut = Array.from({ length: Math.max(0, Math.min(limit, n - start)) }, (_, i) => start + i);
    // Synapse: next_token whenever from + limit < total — which is also true for limit=0.
    return { items: itemsOut, total: n, ...(start + limit < n ? { nextToken: String(start + limit) } : {}) };
  };
}

describe("paging", () => {
  it("collects every item and stops when next_token is absent", async () => {
    const log: Array<[string | number, number]> = [];
    expect(await collectAll(endpoint(7, log), (p) => p.items, { limit: 3 })).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(log).toEqual([
      [0, 3],
      ["3", 3],
      ["6", 3],
    ]);
  });

  it("limit=0 cannot loop forever (raised to 1)", async () => {
    const log: Array<[string | number, number]> = [];
    expect(await collectAll(endpoint(2, log), (p) => p.items, { limit: 0 })).toEqual([0, 1]);
    expect(log.every(([, l]) => l === 1)).toBe(true);
  });

  it("stops on an empty page or a next_token that does not advance", async () => {
    // A server that always answers the limit=0 trap: empty page, next_token "0".
    let calls = 0;
    const trap = async (): Promise<P> => {
      calls++;
      return { items: [], total: 20, nextToken: "0" };
    };
    expect(await collectAll(trap, (p) => p.items)).toEqual([]);
    expect(calls).toBe(1);

    // A server that returns items but a non-advancing token.
    calls = 0;
    const stuck = async (): Promise<P> => {
      calls++;
      return { items: [1], total: 20, nextToken: "0" };
    };
    expect(await collectAll(stuck, (p) => p.items)).toEqual([1]);
    expect(calls).toBe(1);
  });

  it("yields pages lazily and respects maxPages", async () => {
    const log: Array<[string | number, number]> = [];
    const seen: number[] = [];
    for await (const p of pages(endpoint(100, log), (x) => x.items, { limit: 10, maxPages: 3 })) seen.push(p.items.length);
    expect(seen).toEqual([10, 10, 10]);
    expect(log).toHaveLength(3);
  });
});

describe("reading ahead", () => {
  /** A source whose pages answer only when released, recording when each was asked for. */
  function gated(n: number, failAt = -1) {
    const asked: number[] = [];
    const release: Array<() => void> = [];
    async function* source() {
      for (let i = 0; i < n; i++) {
        asked.push(i);
        await new Promise<void>((r) => release.push(r));
        if (i === failAt) throw new Error(`page ${i} failed`);
        yield i;
      }
    }
    return { asked, release, source };
  }
  const tick = () => new Promise((r) => setTimeout(r, 0));

  it("asks for the next page while the consumer is still handling the current one", async () => {
    const g = gated(3);
    const it = readAhead(g.source());
    const first = it.next();
    await tick();
    g.release[0]();
    expect((await first).value).toBe(0);
    await tick();
    // The consumer has page 0 in hand and has not asked again: page 1 is already requested.
    expect(g.asked).toEqual([0, 1]);
    g.release[1]();
    expect((await it.next()).value).toBe(1);
    await tick();
    expect(g.asked).toEqual([0, 1, 2]);
    g.release[2]();
    expect((await it.next()).value).toBe(2);
    expect((await it.next()).done).toBe(true);
  });

  it("hands out every page in order, and a failure only after the pages before it", async () => {
    const got: number[] = [];
    async function* pagesOf() {
      yield 1;
      yield 2;
      throw new Error("the homeserver answered 502");
    }
    await expect(
      (async () => {
        for await (const p of readAhead(pagesOf())) {
          await tick();
          got.push(p);
        }
      })(),
    ).rejects.toThrow("502");
    expect(got).toEqual([1, 2]);
  });

  it("a consumer that stops early ends the source (its request in flight is discarded, not left unhandled)", async () => {
    const g = gated(5, 1);
    let finished = false;
    async function* tracked() {
      try {
        yield* g.source();
      } finally {
        finished = true;
      }
    }
    const it = readAhead(tracked());
    const first = it.next();
    await tick();
    g.release[0]();
    expect((await first).value).toBe(0);
    await tick();
    const stopping = it.return(undefined);
    g.release[1](); // the page in flight fails; nobody waits for it any more
    await stopping;
    expect(finished).toBe(true);
    expect(g.asked).toEqual([0, 1]);
  });
});

/**
 * How pageAndTotal runs its two queries: on PostgreSQL the count starts beside the page (no waiting for the page
 * first); on PGlite it starts only after the page, and only when the page does not tell the total.
 */
import { describe, expect, it } from "vitest";
import { pageAndTotal } from "../../app/services/lists/page-total.server";

/** A page query and a count query that answer when told to, recording when each was started. */
function queries(rows: number[], total: number) {
  const log: string[] = [];
  let answerPage!: () => void;
  const page = () => {
    log.push("page");
    return new Promise<number[]>((resolve) => (answerPage = () => (log.push("page answered"), resolve(rows))));
  };
  const count = () => {
    log.push("count");
    return Promise.resolve(total);
  };
  return { log, page, count, answerPage: () => answerPage() };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("pageAndTotal", () => {
  it("on PostgreSQL starts the count beside the page, even when the page turns out not to be full", async () => {
    const q = queries([1, 2], 2);
    const result = pageAndTotal("postgres", { offset: 0, pageSize: 10 }, q.page, q.count);
    await tick();
    expect(q.log).toEqual(["page", "count"]); // both started, the page not answered yet
    q.answerPage();
    expect(await result).toEqual({ rows: [1, 2], total: 2 });
  });

  it("on PGlite counts only after a full page, and not at all when the page is not full", async () => {
    const full = queries([1, 2, 3], 7);
    const fullResult = pageAndTotal("pglite", { offset: 0, pageSize: 3 }, full.page, full.count);
    await tick();
    expect(full.log).toEqual(["page"]);
    full.answerPage();
    expect(await fullResult).toEqual({ rows: [1, 2, 3], total: 7 });
    expect(full.log).toEqual(["page", "page answered", "count"]);

    const partial = queries([4], 999);
    const partialResult = pageAndTotal("pglite", { offset: 3, pageSize: 3 }, partial.page, partial.count);
    partial.answerPage();
    expect(await partialResult).toEqual({ rows: [4], total: 4 });
    expect(partial.log).toEqual(["page", "page answered"]);
  });

  it("on PGlite counts an empty page past the start (the total is unknown there), but not an empty first page", async () => {
    const past = queries([], 5);
    const pastResult = pageAndTotal("pglite", { offset: 30, pageSize: 10 }, past.page, past.count);
    past.answerPage();
    expect(await pastResult).toEqual({ rows: [], total: 5 });
    expect(past.log).toContain("count");

    const none = queries([], 999);
    const noneResult = pageAndTotal("pglite", { offset: 0, pageSize: 10 }, none.page, none.count);
    none.answerPage();
    expect(await noneResult).toEqual({ rows: [], total: 0 });
    expect(none.log).not.toContain("count");
  });
});

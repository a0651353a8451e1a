/** The key that matches a page's prefetched data to the navigation that follows (decision 028). */
import { describe, expect, it } from "vitest";
import { pageKey } from "../../app/components/prefetch-data";

describe("pageKey", () => {
  it("drops Remix's own parameters and keeps the page's query as it is", () => {
    expect(pageKey("/users", "?_data=routes%2F_app.users._index")).toBe("/users");
    expect(pageKey("/users", "?index&q=ann&filter=all&_data=routes%2F_app.users._index")).toBe("/users?q=ann&filter=all");
    expect(pageKey("/users", "?q=ann&index=")).toBe("/users?q=ann");
    expect(pageKey("/users", "")).toBe("/users");
  });
  it("tells different pages and queries apart", () => {
    expect(pageKey("/users", "?page=2")).not.toBe(pageKey("/users", "?page=3"));
    expect(pageKey("/users", "?q=a%20b")).toBe(pageKey("/users", "?q=a+b"));
    expect(pageKey("/users/%40a%3Ax", "")).not.toBe(pageKey("/users", ""));
  });
});

/** The bulk users-list parser agrees with the client's zod parser: recorded pages, random entries, bad shapes. */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { userListSchema } from "../../app/homeserver/users";
import { parseUserListPage } from "../../app/homeserver/users-bulk";

/** The zod schema of users.list() (which now reads through the bulk parser itself, zod behind it). */
async function zodParse(body: unknown) {
  return userListSchema("v3").parse(body);
}

const recorded = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../../shared/reference/recorded/users.json"), "utf8")) as Array<{
  request: { path: string };
  response: { status: number; body: unknown };
}>;

describe("parseUserListPage", () => {
  it("matches the zod parser on every recorded list page", async () => {
    const pages = recorded.filter((f) => /\/_synapse\/admin\/v3\/users$/.test(f.request.path) && f.response.status === 200);
    expect(pages.length).toBeGreaterThan(5);
    for (const f of pages) expect(parseUserListPage(f.response.body, "v3")).toEqual(await zodParse(f.response.body));
  });

  it("matches the zod parser on random entries (0/1 booleans, missing optional fields, nulls)", async () => {
    const b = fc.oneof(fc.boolean(), fc.constantFrom(0, 1));
    const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
    const entry = fc.record({
      name: fc.string(),
      user_type: opt(fc.option(fc.string(), { nil: null })),
      is_guest: opt(b),
      admin: b,
      deactivated: b,
      shadow_banned: opt(fc.option(b, { nil: null })),
      displayname: opt(fc.option(fc.string(), { nil: null })),
      avatar_url: opt(fc.option(fc.string(), { nil: null })),
      creation_ts: opt(fc.option(fc.integer({ min: 0, max: 4e12 }), { nil: null })),
      last_seen_ts: opt(fc.option(fc.integer({ min: 0, max: 4e12 }), { nil: null })),
      erased: opt(b),
      locked: opt(b),
      approved: opt(b),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 5 }), fc.nat(), fc.option(fc.oneof(fc.string(), fc.nat()), { nil: undefined }), async (users, total, next) => {
        const body = JSON.parse(JSON.stringify({ users, total, ...(next !== undefined ? { next_token: next } : {}) }));
        expect(parseUserListPage(body, "v3")).toEqual(await zodParse(body));
      }),
    );
  });

  it("refuses what the zod parser refuses", async () => {
    const bad = [
      { users: [{ name: "@a:x", admin: "yes", deactivated: false }], total: 1 },
      { users: [{ name: 5, admin: true, deactivated: false }], total: 1 },
      { users: [{ name: "@a:x", admin: true, deactivated: false, last_seen_ts: 1e300 }], total: 1 },
      { users: "nope", total: 1 },
      { users: [], total: "1" },
    ];
    for (const body of bad) {
      expect(() => parseUserListPage(body, "v3")).toThrow();
      await expect(zodParse(body)).rejects.toThrow();
    }
  });
});

/**
 * Property: a user id, device id, registration token, destination or transaction id — whatever characters it
 * holds ("/", "?", "#", "%", "..", unicode, newlines) — lands percent-encoded in exactly one path segment of the
 * URL fetch receives, as a real URL parser reads it (dot segments are resolved, so ".." must never get through).
 * Values that cannot be one segment ("", ".", "..", lone surrogates) are refused with a HomeserverError before
 * anything is sent.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isHomeserverError, type HomeserverClient } from "~/homeserver";
import { clientWith, settle, type Reply } from "./property-homeserver-harness";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);

interface PathCase {
  name: string;
  call: (hs: HomeserverClient, id: string) => Promise<unknown>;
  /** Templates of the URLs the call may request, in order; `{id}` is the hostile value, `*` any fixed segment. */
  templates: string[];
}

const OTHER_USER = "@alice:hs.example.org";

const CASES: PathCase[] = [
  { name: "users.get", call: (hs, id) => hs.users.get(id), templates: ["/_synapse/admin/v2/users/{id}"] },
  { name: "users.isAdmin", call: (hs, id) => hs.users.isAdmin(id), templates: ["/_synapse/admin/v1/users/{id}/admin"] },
  { name: "users.whois", call: (hs, id) => hs.users.whois(id), templates: ["/_synapse/admin/v1/whois/{id}", "/_matrix/client/v3/admin/whois/{id}"] },
  { name: "users.loginAs", call: (hs, id) => hs.users.loginAs(id), templates: ["/_synapse/admin/v1/users/{id}/login"] },
  { name: "devices.list", call: (hs, id) => hs.devices.list(id), templates: ["/_synapse/admin/v2/users/{id}/devices"] },
  { name: "devices.get (user)", call: (hs, id) => hs.devices.get(id, "DEVICE"), templates: ["/_synapse/admin/v2/users/{id}/devices/DEVICE"] },
  { name: "devices.get (device)", call: (hs, id) => hs.devices.get(OTHER_USER, id), templates: [`/_synapse/admin/v2/users/${encodeURIComponent(OTHER_USER)}/devices/{id}`] },
  { name: "tokens.get", call: (hs, id) => hs.tokens.get(id), templates: ["/_synapse/admin/v1/registration_tokens/{id}"] },
  { name: "tokens.update", call: (hs, id) => hs.tokens.update(id, { usesAllowed: 1 }), templates: ["/_synapse/admin/v1/registration_tokens/{id}"] },
  { name: "tokens.delete", call: (hs, id) => hs.tokens.delete(id), templates: ["/_synapse/admin/v1/registration_tokens/{id}"] },
  { name: "federation.getDestination", call: (hs, id) => hs.federation.getDestination(id), templates: ["/_synapse/admin/v1/federation/destinations/{id}"] },
  { name: "federation.destinationRooms", call: (hs, id) => hs.federation.destinationRooms(id), templates: ["/_synapse/admin/v1/federation/destinations/{id}/rooms"] },
  { name: "federation.resetConnection", call: (hs, id) => hs.federation.resetConnection(id), templates: ["/_synapse/admin/v1/federation/destinations/{id}/reset_connection"] },
  { name: "accountData.get", call: (hs, id) => hs.accountData.get(id), templates: ["/_synapse/admin/v1/users/{id}/accountdata"] },
  { name: "notices.send (txnId)", call: (hs, id) => hs.notices.send(OTHER_USER, { body: "x" }, id), templates: ["/_synapse/admin/v1/send_server_notice/{id}"] },
];

const TRICKY = ["/", "?", "#", "%", "..", ".", "", "%2e%2e", ".%2e", "a/../b", "../..", "@u:hs/../../admin", "\n", "\r\n", "x y", "\\", "\\..\\", "é", "👩‍👩‍👧", "\u202E", "%00", "a#b?c=d", ";x", "@a:hs?access_token=x", "\uD800", "a\uDC00", "\u0000"];

const hostileId = fc.oneof(
  fc.constantFrom(...TRICKY),
  fc.array(fc.constantFrom(...TRICKY, "a", "@", ":", "hs.example.org"), { minLength: 1, maxLength: 6 }).map((xs) => xs.join("")),
  fc.string({ unit: "binary", maxLength: 20 }),
);

/** Lone surrogates, "", "." and ".." cannot be one path segment. */
function unsendable(id: string): boolean {
  return id === "" || id === "." || id === ".." || /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(id);
}

/** A reply that makes the whois call fall back, so the second template is exercised too. */
const FALLBACK: Reply = { kind: "http", status: 404, headers: { "content-type": "application/json" }, body: '{"errcode":"M_UNRECOGNIZED"}' };
const OK: Reply = { kind: "http", status: 200, headers: {}, body: "{}" };

describe("hostile ids go into exactly one percent-encoded path segment", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      await fc.assert(
        fc.asyncProperty(hostileId, async (id) => {
          const { hs, fake } = clientWith(c.templates.length > 1 ? [FALLBACK, OK] : [OK]);
          const outcome = await settle(c.call(hs, id));
          if (unsendable(id)) {
            expect(fake.urls).toEqual([]);
            expect(outcome.ok).toBe(false);
            expect(isHomeserverError(!outcome.ok && outcome.error)).toBe(true);
            return;
          }
          expect(fake.urls.length).toBe(c.templates.length);
          fake.urls.forEach((raw, i) => {
            // What a real fetch does with the string: WHATWG URL parsing (dot segments resolved, "\" read as "/").
            const u = new URL(raw);
            expect(u.search).toBe("");
            expect(u.hash).toBe("");
            const got = u.pathname.split("/");
            const want = c.templates[i].split("/");
            expect(got.length).toBe(want.length);
            want.forEach((seg, j) => {
              if (seg === "{id}") expect(decodeURIComponent(got[j])).toBe(id);
              else expect(got[j]).toBe(seg);
            });
          });
        }),
        { numRuns: RUNS },
      );
    });
  }

  it("keeps query values intact whatever they hold", async () => {
    await fc.assert(
      fc.asyncProperty(hostileId.filter((s) => !unsendable(s)), async (name) => {
        const { hs, fake } = clientWith([{ kind: "http", status: 200, headers: {}, body: '{"users":[],"total":0}' }]);
        await hs.users.list({ name, limit: 1 });
        const u = new URL(fake.urls[0]);
        expect(u.pathname).toBe("/_synapse/admin/v3/users");
        expect(u.searchParams.getAll("name")).toEqual([name]);
        expect(u.hash).toBe("");
      }),
      { numRuns: RUNS },
    );
  });
});

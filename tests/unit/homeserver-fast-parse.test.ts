// The hand-written fast paths for the device list and account data (read once per user by a posture scan), and
// for the key query and the users list (one per page of users), agree
// with their zod schemas: on any input, the fast path either declines (null) or returns exactly what zod returns.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { deviceListSchema, fastDeviceList, parseDeviceList } from "~/homeserver/devices";
import { accountDataSchema, fastAccountData, parseAccountData } from "~/homeserver/accountdata";
import { fastKeysQuery, keysQuerySchema, parseKeysQuery } from "~/homeserver/keys";
import { fastUserList, userListSchema } from "~/homeserver/users";

const weird = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.constantFrom(0, 1, -1, 1.5, 1e300, Infinity, NaN, 8.64e15, 8.64e15 + 1, -8.64e15),
  fc.integer(),
  fc.string({ maxLength: 8 }),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);

const FIELDS = ["device_id", "user_id", "display_name", "last_seen_ip", "last_seen_ts", "last_seen_user_agent", "dehydrated", "extra"] as const;
/** A valid device with at most one field replaced by something odd (so most inputs reach the fast path's checks). */
const nearlyValidDevice = fc
  .tuple(
    fc.record({ device_id: fc.string({ maxLength: 10 }), user_id: fc.constant("@u:x"), display_name: fc.option(fc.string({ maxLength: 10 })), last_seen_ip: fc.option(fc.ipV4()), last_seen_ts: fc.option(fc.integer({ min: 0, max: 2e12 })), last_seen_user_agent: fc.option(fc.string({ maxLength: 10 })) }),
    fc.option(fc.tuple(fc.constantFrom(...FIELDS), weird)),
  )
  .map(([d, change]) => {
    const out: Record<string, unknown> = { ...d };
    if (change) {
      if (change[1] === undefined) delete out[change[0]];
      else out[change[0]] = change[1];
    }
    return out;
  });

const device = fc.record(
  {
    device_id: fc.oneof(fc.string({ maxLength: 10 }), weird),
    user_id: fc.oneof(fc.constant("@u:x"), weird),
    display_name: fc.oneof(fc.string({ maxLength: 10 }), weird),
    last_seen_ip: fc.oneof(fc.ipV4(), weird),
    last_seen_ts: fc.oneof(fc.integer({ min: 0, max: 2e12 }), weird),
    last_seen_user_agent: fc.oneof(fc.string({ maxLength: 10 }), weird),
    dehydrated: weird,
    extra: weird,
  },
  { requiredKeys: [] },
);

function agree<T>(fast: (x: unknown) => T | null, schema: { safeParse(x: unknown): { success: boolean; data?: T } }, input: unknown) {
  const f = fast(input);
  const z = schema.safeParse(input);
  if (f !== null) {
    expect(z.success).toBe(true);
    expect(f).toEqual(z.data);
  }
}

describe("fast paths agree with the schemas", () => {
  it("device list", () => {
    fc.assert(
      fc.property(fc.record({ devices: fc.oneof(fc.array(nearlyValidDevice, { maxLength: 3 }), fc.array(device, { maxLength: 4 }), weird), total: fc.oneof(fc.integer(), weird) }, { requiredKeys: [] }), (input) => {
        agree(fastDeviceList, deviceListSchema, JSON.parse(JSON.stringify(input)));
        agree(fastDeviceList, deviceListSchema, input); // also values JSON cannot carry (undefined, NaN)
      }),
      { numRuns: 2000 },
    );
  });

  it("device list: every field set to each odd value, one at a time", () => {
    const odd: unknown[] = [null, undefined, true, false, 0, 1, -1, 2, 1.5, "", "0", "true", 8.64e15, 8.64e15 + 1, -8.64e15 - 1, 1e300, Infinity, NaN, [], {}, [1], { a: 1 }];
    const base = { device_id: "A", user_id: "@u:x", display_name: "Phone", last_seen_ip: "10.0.0.1", last_seen_ts: 1_700_000_000_000, last_seen_user_agent: "UA", dehydrated: false };
    for (const field of FIELDS) {
      for (const v of odd) {
        const d: Record<string, unknown> = { ...base, [field]: v };
        agree(fastDeviceList, deviceListSchema, { devices: [d] });
        agree(fastDeviceList, deviceListSchema, { devices: [base], total: v });
      }
    }
  });

  it("account data", () => {
    const record = fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constant("__proto__")), fc.oneof(weird, fc.dictionary(fc.string({ maxLength: 4 }), weird, { maxKeys: 3 })), { maxKeys: 4 });
    fc.assert(
      fc.property(fc.oneof(fc.record({ account_data: fc.oneof(fc.record({ global: fc.oneof(record, weird), rooms: fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(record, weird), { maxKeys: 3 }), weird) }, { requiredKeys: [] }), weird) }), weird), (input) => {
        agree(fastAccountData, accountDataSchema, JSON.parse(JSON.stringify(input ?? null)));
        agree(fastAccountData, accountDataSchema, input);
      }),
      { numRuns: 2000 },
    );
  });

  it("the usual answers take the fast path, and a broken one still fails with zod's wording", () => {
    const devices = { devices: [{ device_id: "A", user_id: "@u:x", display_name: "Phone", last_seen_ip: "10.0.0.1", last_seen_ts: 1_700_000_000_000, last_seen_user_agent: "UA" }], total: 1 };
    expect(fastDeviceList(devices)).not.toBeNull();
    expect(parseDeviceList(devices).devices[0]).toEqual({ deviceId: "A", userId: "@u:x", displayName: "Phone", lastSeenIp: "10.0.0.1", lastSeenTs: 1_700_000_000_000, lastSeenUserAgent: "UA", dehydrated: false });
    const ad = { account_data: { global: { "m.secret_storage.default_key": { key: "k" } }, rooms: { "!r:x": { "m.tag": {} } } } };
    expect(fastAccountData(ad)).not.toBeNull();
    expect(parseAccountData(ad)).toEqual({ global: ad.account_data.global, rooms: ad.account_data.rooms });
    expect(() => parseDeviceList({ devices: [{ device_id: 7 }] })).toThrow(/device_id|Expected string/);
    expect(() => parseAccountData({ account_data: { global: [] } })).toThrow();
  });

  it("key query: a usual answer with at most one value anywhere replaced by something odd", () => {
    const sigs = () => ({ "@u:x": { "ed25519:SSK": "c2ln" } });
    const device = (id: string) => ({ user_id: "@u:x", device_id: id, algorithms: ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"], keys: { [`ed25519:${id}`]: "a2V5", [`curve25519:${id}`]: "a2V5" }, signatures: sigs(), unsigned: { device_display_name: "Phone" } });
    const xsk = (usage: string) => ({ user_id: "@u:x", usage: [usage], keys: { [`ed25519:${usage}`]: "a2V5" }, signatures: { "@u:x": { "ed25519:MSK": "c2ln" } } });
    const base = () => ({
      device_keys: { "@u:x": { A: device("A"), B: device("B") }, "@v:x": {} },
      master_keys: { "@u:x": xsk("master") },
      self_signing_keys: { "@u:x": xsk("self_signing") },
      user_signing_keys: {},
      failures: {},
    });
    // Every path into the usual answer, down to the leaves.
    const paths: string[][] = [];
    const walk = (v: unknown, at: string[]) => {
      paths.push(at);
      if (v && typeof v === "object") for (const [k, c] of Object.entries(v)) walk(c, [...at, k]);
    };
    walk(base(), []);
    const odd = fc.oneof(weird, fc.constant("__proto__"), fc.constant({ ["__proto__"]: { a: "b" } }));
    fc.assert(
      fc.property(fc.option(fc.tuple(fc.constantFrom(...paths.filter((p) => p.length)), odd)), fc.option(fc.constantFrom("__proto__", "extra", "toString")), (change, extraKey) => {
        const input: Record<string, unknown> = base();
        if (change) {
          const [path, value] = change;
          let parent = input as Record<string, unknown>;
          for (const k of path.slice(0, -1)) parent = parent[k] as Record<string, unknown>;
          if (value === undefined) delete parent[path[path.length - 1]];
          else parent[path[path.length - 1]] = value;
        }
        const text = JSON.stringify(input);
        // An extra key somewhere inside (JSON.parse makes "__proto__" an own key, as a server's answer would).
        const withExtra = extraKey ? text.replace('"device_id":"A"', `"device_id":"A","${extraKey}":{"x":"y"}`) : text;
        agree(fastKeysQuery, keysQuerySchema, JSON.parse(withExtra));
        agree(fastKeysQuery, keysQuerySchema, input);
      }),
      { numRuns: 3000 },
    );
    expect(fastKeysQuery(base())).not.toBeNull();
    expect(parseKeysQuery(base())).toEqual(keysQuerySchema.parse(base()));
    expect(() => parseKeysQuery({ device_keys: { "@u:x": { A: { ...device("A"), keys: [] } } } })).toThrow();
  });

  it("users list: usual pages with at most one field of one user (or of the page) replaced by something odd", () => {
    const USER_FIELDS = ["name", "user_type", "is_guest", "admin", "deactivated", "shadow_banned", "displayname", "avatar_url", "creation_ts", "last_seen_ts", "erased", "locked", "approved", "extra"];
    const user = fc.record({
      name: fc.string({ maxLength: 12 }).map((s) => `@${s}:x`),
      user_type: fc.option(fc.constantFrom("bot", "support")),
      is_guest: fc.constantFrom(0, 1, true, false),
      admin: fc.constantFrom(0, 1, true, false),
      deactivated: fc.constantFrom(0, 1, true, false),
      shadow_banned: fc.boolean(),
      displayname: fc.option(fc.string({ maxLength: 8 })),
      avatar_url: fc.option(fc.constant("mxc://x/y")),
      creation_ts: fc.option(fc.integer({ min: 0, max: 2e12 })),
      last_seen_ts: fc.option(fc.integer({ min: 0, max: 2e12 })),
      erased: fc.boolean(),
      locked: fc.boolean(),
      approved: fc.boolean(),
    });
    const odd = fc.oneof(weird, fc.constant("__proto__"));
    fc.assert(
      fc.property(
        fc.array(user, { maxLength: 4 }),
        fc.oneof(fc.integer({ min: 0, max: 1e6 }), weird),
        fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), weird),
        fc.option(fc.tuple(fc.nat(), fc.constantFrom(...USER_FIELDS), odd)),
        fc.constantFrom("v2" as const, "v3" as const),
        (users, total, next, change, version) => {
          const list = users.map((u) => ({ ...u })) as Record<string, unknown>[];
          if (change && list.length) {
            const [i, field, value] = change;
            const u = list[i % list.length];
            if (value === undefined) delete u[field];
            else u[field] = value;
          }
          const input = { users: list, total, next_token: next };
          const schema = userListSchema(version);
          const fast = (x: unknown) => fastUserList(x, version);
          agree(fast, schema, JSON.parse(JSON.stringify(input)));
          agree(fast, schema, input);
        },
      ),
      { numRuns: 3000 },
    );
    const usual = { users: [{ name: "@a:x", admin: 0, deactivated: false, creation_ts: 1_700_000_000_000, last_seen_ts: null }], total: 1, next_token: 200 };
    expect(fastUserList(usual, "v3")).toEqual(userListSchema("v3").parse(usual));
    expect(fastUserList(usual, "v3")?.nextToken).toBe("200");
  });
});

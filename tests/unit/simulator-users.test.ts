// The simulator's admin user APIs against truths computed straight from `sim.state`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addUser, startSimulator, type Simulator, type SimUser } from "../simulator/index";
import { enc, simFetch, type SimResponse } from "../simulator/client";

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ users: 60, seed: 7, now: () => NOW });
});
afterAll(() => sim.close());

const users = () => [...sim.state.users.values()];
const byteCmp = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const sortedNames = (list: SimUser[]) => list.map((u) => u.name).sort(byteCmp);

async function listAll(version: 2 | 3, query: Record<string, any> = {}, pageSize = 7): Promise<string[]> {
  const names: string[] = [];
  let from: string | undefined = "0";
  let total: number | undefined;
  let pages = 0;
  while (from !== undefined) {
    const r: SimResponse = await simFetch(sim, `/_synapse/admin/v${version}/users`, { query: { ...query, from, limit: pageSize } });
    expect(r.status).toBe(200);
    if (total !== undefined) expect(r.json.total).toBe(total); // total stays consistent across pages
    total = r.json.total;
    names.push(...r.json.users.map((u: { name: string }) => u.name));
    if (r.json.next_token !== undefined) expect(typeof r.json.next_token).toBe("string");
    from = r.json.next_token;
    expect(++pages).toBeLessThan(100);
  }
  expect(names.length).toBe(total);
  return names;
}

describe("list users paging", () => {
  it("walks next_token until it is absent, covering every matching user once", async () => {
    const names = await listAll(3, { locked: true });
    expect(names).toEqual(sortedNames(users()));
  });

  it("a user registered between two listings is in its place by name, both directions", async () => {
    const own = await startSimulator({ users: 30, seed: 3, now: () => NOW });
    try {
      const list = async (dir: "f" | "b") => {
        const r = await simFetch(own, "/_synapse/admin/v2/users", { query: { from: 0, limit: 1000, order_by: "name", dir, locked: true, deactivated: true } });
        return r.json.users.map((u: { name: string }) => u.name) as string[];
      };
      const before = await list("f"); // the order is cached from here on
      for (const localpart of ["0first", "m.middle", "zzz.last", "alice.again"]) addUser(own.state, { localpart }, NOW);
      const all = [...own.state.users.values()].map((u) => u.name).sort(byteCmp);
      expect(all.length).toBe(before.length + 4);
      expect(await list("f")).toEqual(all);
      expect(await list("b")).toEqual([...all].reverse());
    } finally {
      await own.close();
    }
  });

  it("next_token only while from+limit < total; limit=0 answers next_token '0'", async () => {
    const total = users().filter((u) => !u.locked).length;
    const last = await simFetch(sim, "/_synapse/admin/v3/users", { query: { from: total - 3, limit: 3 } });
    expect(last.json.users).toHaveLength(3);
    expect(last.json).not.toHaveProperty("next_token");
    const zero = await simFetch(sim, "/_synapse/admin/v3/users", { query: { limit: 0 } });
    expect(zero.json).toEqual({ users: [], total, next_token: "0" });
    const past = await simFetch(sim, "/_synapse/admin/v3/users", { query: { from: 1000 } });
    expect(past.json).toEqual({ users: [], total });
  });

  it.each([
    [{ limit: -1 }, "M_INVALID_PARAM"],
    [{ from: -1 }, "M_INVALID_PARAM"],
    [{ limit: "abc" }, "M_INVALID_PARAM"],
    [{ guests: "yes" }, "M_INVALID_PARAM"],
    [{ deactivated: "1" }, "M_INVALID_PARAM"],
    [{ order_by: "bogus" }, "M_INVALID_PARAM"],
    [{ dir: "x" }, "M_INVALID_PARAM"],
  ])("rejects %o with 400 %s", async (query, errcode) => {
    for (const v of [2, 3]) {
      const r = await simFetch(sim, `/_synapse/admin/v${v}/users`, { query });
      expect(r.status).toBe(400);
      expect(r.json.errcode).toBe(errcode);
    }
  });
});

describe("list users filters vs state", () => {
  it("v2 excludes deactivated unless deactivated=true; v3 true=only, false=none, absent=all", async () => {
    const visible = users().filter((u) => !u.locked);
    expect(visible.some((u) => u.deactivated)).toBe(true);
    expect(await listAll(2)).toEqual(sortedNames(visible.filter((u) => !u.deactivated)));
    expect(await listAll(2, { deactivated: false })).toEqual(sortedNames(visible.filter((u) => !u.deactivated)));
    expect(await listAll(2, { deactivated: true })).toEqual(sortedNames(visible));
    expect(await listAll(3)).toEqual(sortedNames(visible));
    expect(await listAll(3, { deactivated: true })).toEqual(sortedNames(visible.filter((u) => u.deactivated)));
    expect(await listAll(3, { deactivated: false })).toEqual(sortedNames(visible.filter((u) => !u.deactivated)));
  });

  it("hides locked users by default; locked=true includes them", async () => {
    expect(users().some((u) => u.locked)).toBe(true);
    expect(await listAll(3)).toEqual(sortedNames(users().filter((u) => !u.locked)));
    expect(await listAll(3, { locked: false })).toEqual(sortedNames(users().filter((u) => !u.locked)));
    expect(await listAll(3, { locked: true })).toEqual(sortedNames(users()));
  });

  it("guests, admins, not_user_type (repeatable, '' = no type)", async () => {
    const all = users();
    const q = { locked: true };
    expect(all.some((u) => u.is_guest) && all.some((u) => u.user_type === "bot")).toBe(true);
    expect(await listAll(3, { ...q, guests: false })).toEqual(sortedNames(all.filter((u) => !u.is_guest)));
    expect(await listAll(3, { ...q, admins: true })).toEqual(sortedNames(all.filter((u) => u.admin)));
    expect(await listAll(3, { ...q, admins: false })).toEqual(sortedNames(all.filter((u) => !u.admin)));
    expect(await listAll(3, { ...q, not_user_type: "bot" })).toEqual(
      sortedNames(all.filter((u) => u.user_type !== "bot")),
    );
    expect(await listAll(3, { ...q, not_user_type: ["bot", ""] })).toEqual(
      sortedNames(all.filter((u) => u.user_type !== null && u.user_type !== "bot")),
    );
    expect(await listAll(3, { ...q, not_user_type: ["bot", "support", ""] })).toEqual([]);
  });

  it("name matches the MXID or the display name (case-insensitively); user_id the MXID; name wins", async () => {
    const all = users();
    const withDisplay = all.find((u) => u.displayname && /^[A-Z]/.test(u.displayname))!;
    const term = withDisplay.displayname!.slice(0, 3).toUpperCase();
    const expected = all.filter(
      (u) => u.name.includes(term) || (u.displayname ?? "").toLowerCase().includes(term.toLowerCase()),
    );
    expect(await listAll(3, { locked: true, name: term })).toEqual(sortedNames(expected));
    expect(await listAll(3, { locked: true, user_id: "@a" })).toEqual(sortedNames(all.filter((u) => u.name.includes("@a"))));
    expect(await listAll(3, { locked: true, user_id: "@a", name: term })).toEqual(sortedNames(expected));
  });

  it.each(["name", "displayname", "is_guest", "admin", "deactivated", "user_type", "avatar_url", "shadow_banned",
    "creation_ts", "last_seen_ts", "locked"] as const)("order_by=%s both directions, ties on name ascending", async (col) => {
    for (const dir of ["f", "b"] as const) {
      const desc = dir === "b";
      const expected = [...users()].sort((a, b) => {
        const x = a[col];
        const y = b[col];
        let r = 0;
        if (x === null && y === null) r = 0;
        else if (x === null) r = desc ? -1 : 1; // PostgreSQL: NULLs last ascending, first descending
        else if (y === null) r = desc ? 1 : -1;
        else {
          r = typeof x === "string" ? byteCmp(x, y as string) : Number(x) - Number(y);
          if (desc) r = -r;
        }
        return r || (col === "name" ? 0 : byteCmp(a.name, b.name));
      });
      expect(await listAll(3, { locked: true, order_by: col, dir })).toEqual(expected.map((u) => u.name));
    }
  });

  it("list entries carry exactly the list fields, creation_ts in ms", async () => {
    const r = await simFetch(sim, "/_synapse/admin/v2/users", { query: { limit: 1 } });
    const entry = r.json.users[0];
    expect(Object.keys(entry).sort()).toEqual(
      ["admin", "approved", "avatar_url", "creation_ts", "deactivated", "displayname", "erased", "is_guest",
        "last_seen_ts", "locked", "name", "shadow_banned", "user_type"].sort(),
    );
    expect(entry.creation_ts).toBe(sim.state.users.get(entry.name)!.creation_ts);
  });
});

describe("single user, is-admin, devices, whois, account data", () => {
  it("query user: creation_ts in seconds, suspended present, approved absent", async () => {
    const u = users().find((x) => !x.admin)!;
    const r = await simFetch(sim, `/_synapse/admin/v2/users/${enc(u.name)}`);
    expect(r.status).toBe(200);
    expect(r.json.creation_ts).toBe(u.creation_ts / 1000);
    expect(r.json).toHaveProperty("suspended", false);
    expect(r.json).not.toHaveProperty("approved");
    // Unencoded ids work too.
    expect((await simFetch(sim, `/_synapse/admin/v2/users/${u.name}`)).json.name).toBe(u.name);
  });

  it("unknown → 404, remote → 400 M_UNKNOWN, malformed → 400 M_INVALID_PARAM", async () => {
    const notFound = await simFetch(sim, `/_synapse/admin/v2/users/${enc("@nobody:sim.test")}`);
    expect([notFound.status, notFound.json.errcode]).toEqual([404, "M_NOT_FOUND"]);
    const remote = await simFetch(sim, `/_synapse/admin/v2/users/${enc("@x:other.example")}`);
    expect([remote.status, remote.json.errcode]).toEqual([400, "M_UNKNOWN"]);
    const bad = await simFetch(sim, "/_synapse/admin/v2/users/not-a-user");
    expect([bad.status, bad.json.errcode]).toEqual([400, "M_INVALID_PARAM"]);
  });

  it("is-admin: unknown local user is 200 {admin:false}", async () => {
    const admin2 = users().find((u) => u.admin && u.localpart !== "admin")!;
    expect((await simFetch(sim, `/_synapse/admin/v1/users/${enc(admin2.name)}/admin`)).json).toEqual({ admin: true });
    expect((await simFetch(sim, `/_synapse/admin/v1/users/${enc("@nobody:sim.test")}/admin`)).json).toEqual({ admin: false });
  });

  it("devices match state; whois lists connections; self-whois allowed for non-admins", async () => {
    const u = users().find((x) => (sim.state.devices.get(x.name)?.size ?? 0) >= 2 && !x.locked)!;
    const r = await simFetch(sim, `/_synapse/admin/v2/users/${enc(u.name)}/devices`);
    expect(r.json.total).toBe(sim.state.devices.get(u.name)!.size);
    const first = r.json.devices[0];
    const one = await simFetch(sim, `/_synapse/admin/v2/users/${enc(u.name)}/devices/${first.device_id}`);
    expect(one.json).toEqual(first);
    const token = sim.tokenFor(u.localpart);
    const self = await simFetch(sim, `/_matrix/client/v3/admin/whois/${enc(u.name)}`, { token });
    expect(self.status).toBe(200);
    expect(self.json.devices[""].sessions[0].connections.length).toBeGreaterThanOrEqual(2);
    const other = await simFetch(sim, `/_synapse/admin/v1/whois/${enc("@admin:sim.test")}`, { token });
    expect([other.status, other.json.errcode]).toEqual([403, "M_FORBIDDEN"]);
  });

  it("account data comes from state, entries deleted to {} left out", async () => {
    const u = users()[3];
    sim.state.accountData.set(u.name, { global: { "m.secret_storage.default_key": { key: "k" }, "m.gone": {} }, rooms: {} });
    const r = await simFetch(sim, `/_synapse/admin/v1/users/${enc(u.name)}/accountdata`);
    expect(r.json).toEqual({ account_data: { global: { "m.secret_storage.default_key": { key: "k" } }, rooms: {} } });
  });

  it("username_available", async () => {
    const taken = users()[5].localpart;
    expect((await simFetch(sim, "/_synapse/admin/v1/username_available", { query: { username: "free.name" } })).json).toEqual({ available: true });
    expect((await simFetch(sim, "/_synapse/admin/v1/username_available", { query: { username: taken } })).json.errcode).toBe("M_USER_IN_USE");
    expect((await simFetch(sim, "/_synapse/admin/v1/username_available", { query: { username: "Bad Name" } })).json.errcode).toBe("M_INVALID_USERNAME");
    expect((await simFetch(sim, "/_synapse/admin/v1/username_available")).json.errcode).toBe("M_MISSING_PARAM");
  });
});

describe("emulation switches", () => {
  it("booleansAsInts: v2 list has 0/1 (erased stays boolean), v3 does not", async () => {
    const old = await startSimulator({ users: 5, booleansAsInts: true });
    try {
      const v2 = (await simFetch(old, "/_synapse/admin/v2/users", { query: { limit: 1 } })).json.users[0];
      expect([v2.admin, v2.is_guest, v2.deactivated, typeof v2.erased]).toEqual([1, 0, 0, "boolean"]);
      const v3 = (await simFetch(old, "/_synapse/admin/v3/users", { query: { limit: 1 } })).json.users[0];
      expect(v3.admin).toBe(true);
    } finally {
      await old.close();
    }
  });

  it("mas: list rejects the default guests=true, is-admin and /login are unmounted", async () => {
    const mas = await startSimulator({ users: 5, mas: true });
    try {
      const list = await simFetch(mas, "/_synapse/admin/v2/users");
      expect([list.status, list.json.errcode]).toEqual([400, "M_INVALID_PARAM"]);
      expect((await simFetch(mas, "/_synapse/admin/v2/users", { query: { guests: false } })).status).toBe(200);
      const isAdmin = await simFetch(mas, `/_synapse/admin/v1/users/${enc("@admin:sim.test")}/admin`);
      expect([isAdmin.status, isAdmin.json.errcode]).toEqual([404, "M_UNRECOGNIZED"]);
      const login = await simFetch(mas, "/_matrix/client/v3/login", { token: null });
      expect([login.status, login.json.errcode]).toEqual([404, "M_UNRECOGNIZED"]);
    } finally {
      await mas.close();
    }
  });
});

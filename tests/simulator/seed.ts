// Deterministic seeding: the same `--users N --seed S` always yields the same users, flags, devices and
// time *offsets*. Absolute timestamps are relative to the clock at start, so pass a fixed `now` to get
// byte-identical states (the determinism test does).
//
// Conventions (documented for tests and the demo):
// - `@admin:<server>` / password `admin`, admin=true, oldest account.
// - Every other account with a password uses `<localpart>-pass`. Guests (numeric localparts, as Synapse
//   generates them) have no password, and deactivated accounts have none either: deactivation wipes it,
//   so their login fails with 403 M_FORBIDDEN exactly like the recorded server.
import {
  addDevice,
  addUser,
  type SimConnection,
  type SimState,
  type SimUser,
} from "./state";

/** mulberry32: tiny, fast, good enough for test data; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Prng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
  upper(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(65 + Math.floor(this.next() * 26));
    return s;
  }
}

export const ADMIN_PASSWORD = "admin";
export const passwordFor = (localpart: string) => `${localpart}-pass`;

const DAY = 86_400_000;

const FIRST = [
  "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj",
  "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yusuf", "zoe", "amara", "bjorn",
  "chen", "dmitri", "elif", "fatima", "goran", "hana", "ines", "jonas", "kaito", "lena", "mateo", "noor",
  "oskar", "priya", "quentin", "rosa", "sven", "tariq", "uma", "vera", "wei", "xavier", "yara", "zainab",
];
const LAST = [
  "smith", "garcia", "nguyen", "muller", "rossi", "kowalski", "tanaka", "okafor", "silva", "dubois",
  "jensen", "novak", "haddad", "ivanova", "kim", "larsen", "moreau", "patel", "schmidt", "weber",
];

/** Display names that must never be rendered as markup or reorder the UI. */
export const HOSTILE_DISPLAYNAMES = [
  "<img src=x onerror=alert(1)>",
  "Mallory \u202Egnp.exe\u202C",
  "Ludwig ".concat("Wolfgang Amadeus Bartholomew Maximilian ".repeat(8)).trim(),
  '=HYPERLINK("http://x","y")',
];

const CLIENTS: Array<{ name: string | null; ua: string }> = [
  { name: "Element (Firefox, Linux)", ua: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0" },
  { name: "Element (Chrome, macOS)", ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36" },
  { name: "Element Android", ua: "Element/1.6.18 (Google Pixel 8; Android 14; AP2A) Matrix-SDK/1.6.18" },
  { name: "Element iOS", ua: "Element/1.11.12 (iPhone; iOS 17.5; Scale/3.00)" },
  { name: "Element X", ua: "Element X/25.05.0 (iPhone; iOS 18.4) matrix-rust-sdk" },
  { name: "FluffyChat Linux", ua: "FluffyChat/1.20.0 (Linux)" },
  { name: "Nheko", ua: "nheko/0.12.0" },
  { name: null, ua: "python-requests/2.32.3" },
];

type Role = "admin2" | "deactivated" | "locked" | "bot" | "support" | "guest" | "shadow_banned";

/** Roles in priority order so small populations still get the interesting cases first. */
function rolesFor(count: number): Role[] {
  const base: Role[] = [
    "admin2", "deactivated", "locked", "bot", "support", "guest", "shadow_banned",
    "deactivated", "locked", "bot", "guest", "deactivated",
  ];
  const extraDeactivated = Math.max(0, Math.round(count * 0.07) - 3);
  const roles = [...base, ...Array<Role>(extraDeactivated).fill("deactivated")];
  // Leave at least a third of the population ordinary.
  return roles.slice(0, Math.max(0, Math.min(roles.length, count - Math.ceil(count / 3))));
}

function randomIp(rng: Prng): string {
  if (rng.chance(0.15)) return `2001:db8:${rng.int(0, 0xffff).toString(16)}::${rng.int(1, 0xffff).toString(16)}`;
  if (rng.chance(0.3)) return `10.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
  return `${rng.pick([81, 93, 145, 185, 203])}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

/** When the user was last seen, relative to now: null = never; otherwise one of the dashboard's buckets. */
function lastSeen(rng: Prng, now: number, created: number): number | null {
  const r = rng.float();
  let ts: number;
  if (r < 0.15) return null;
  else if (r < 0.4) ts = now - rng.int(60_000, DAY - 1);
  else if (r < 0.6) ts = now - rng.int(DAY, 7 * DAY - 1);
  else if (r < 0.75) ts = now - rng.int(7 * DAY, 30 * DAY - 1);
  else ts = now - rng.int(30 * DAY, 400 * DAY);
  return Math.max(ts, created + rng.int(1_000, 3_600_000));
}

export interface SeedOptions {
  users: number;
  seed: number;
  now: number;
}

/** Seeds the admin plus `users` realistic accounts. Returns the seeded users in creation order. */
export function seedState(state: SimState, opts: SeedOptions): SimUser[] {
  const rng = new Prng(opts.seed);
  const { now } = opts;
  const seeded: SimUser[] = [];

  const admin = addUser(
    state,
    {
      localpart: "admin",
      password: ADMIN_PASSWORD,
      displayname: "admin",
      admin: true,
      creation_ts: now - 760 * DAY,
      last_seen_ts: null,
    },
    now,
  );
  seeded.push(admin);

  const taken = new Set<string>(["admin"]);
  const roles = rolesFor(opts.users);
  const roleAt = new Map<number, Role>();
  const slots = rng.shuffle([...Array(opts.users).keys()]);
  roles.forEach((role, i) => roleAt.set(slots[i], role));
  let hostile = 0;
  let guestNo = rng.int(1000, 5000);

  for (let i = 0; i < opts.users; i++) {
    const role = roleAt.get(i);
    const first = rng.pick(FIRST);
    const last = rng.pick(LAST);
    let localpart: string;
    let displayname: string | null = `${first[0].toUpperCase()}${first.slice(1)} ${last[0].toUpperCase()}${last.slice(1)}`;
    if (role === "guest") {
      localpart = String(guestNo++);
      displayname = null;
    } else if (role === "bot") {
      localpart = rng.pick(["github", "rss", "reminder", "welcome", "alerts", "standup"]) + "-bot";
      displayname = `${localpart.replace("-bot", "")} bot`;
    } else if (role === "support") {
      localpart = "support";
      displayname = "Server Support";
    } else {
      localpart = rng.pick([`${first}`, `${first}.${last}`, `${first}_${last}`, `${first}${rng.int(1, 99)}`, `${first[0]}${last}`]);
    }
    for (let n = 2; taken.has(localpart); n++) localpart = `${localpart.replace(/-\d+$/, "")}-${n}`;
    taken.add(localpart);

    if (!role && hostile < HOSTILE_DISPLAYNAMES.length && rng.chance(0.35)) {
      displayname = HOSTILE_DISPLAYNAMES[hostile++];
    } else if (!role && rng.chance(0.05)) {
      displayname = null;
    }
    if (role === "admin2") displayname = `${displayname} (admin)`;

    const created = Math.floor((now - rng.int(role === "guest" ? 1 : 5, 730) * DAY + rng.int(0, DAY)) / 1000) * 1000;
    let seen = lastSeen(rng, now, created);
    if (role === "deactivated") seen = rng.chance(0.5) ? null : now - rng.int(60 * DAY, 300 * DAY);
    if (seen !== null && seen < created) seen = created + 60_000;

    const user = addUser(
      state,
      {
        localpart,
        displayname,
        password: role === "guest" || role === "deactivated" ? null : passwordFor(localpart),
        admin: role === "admin2",
        is_guest: role === "guest",
        user_type: role === "bot" ? "bot" : role === "support" ? "support" : null,
        deactivated: role === "deactivated",
        locked: role === "locked",
        shadow_banned: role === "shadow_banned",
        // Deactivated accounts are usually erased too (GDPR erase on deactivation).
        erased: role === "deactivated" && rng.chance(0.5),
        avatar_url: rng.chance(0.3) ? `mxc://${state.serverName}/${rng.upper(24)}` : null,
        creation_ts: created,
        last_seen_ts: seen,
        threepids:
          !role && rng.chance(0.4)
            ? [{ medium: "email", address: `${localpart}@example.org`, added_at: created, validated_at: created }]
            : [],
      },
      now,
    );
    if (role === "deactivated") user.displayname = user.erased ? null : user.displayname;
    seedDevices(state, rng, user, role);
    seeded.push(user);
  }
  return seeded;
}

/** 0–4 devices whose newest last_seen equals the user's; deactivated users keep none (Synapse deletes them). */
function seedDevices(state: SimState, rng: Prng, user: SimUser, role: Role | undefined): void {
  if (role === "deactivated") return;
  if (user.last_seen_ts === null) {
    // Logged in once but never made an authenticated request: a device with no last_seen, or nothing.
    if (rng.chance(0.4)) addDevice(state, user.name, { device_id: rng.upper(10), display_name: rng.pick(CLIENTS).name });
    return;
  }
  const count = role === "bot" || role === "guest" ? 1 : rng.int(1, 4);
  for (let d = 0; d < count; d++) {
    const client = rng.pick(CLIENTS);
    const seen = d === 0 ? user.last_seen_ts : user.last_seen_ts - rng.int(3_600_000, 90 * DAY);
    const device = addDevice(state, user.name, {
      device_id: rng.upper(10),
      display_name: client.name,
      last_seen_ip: randomIp(rng),
      last_seen_ts: Math.max(seen, user.creation_ts),
      last_seen_user_agent: client.ua,
    });
    const conn: SimConnection = {
      user_id: user.name,
      access_token: null,
      device_id: device.device_id,
      ip: device.last_seen_ip!,
      user_agent: client.ua,
      last_seen: device.last_seen_ts!,
    };
    state.connections.push(conn);
  }
}


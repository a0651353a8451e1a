// Federation state of the simulator: remote destinations (with their rooms) and our own discovery documents and
// signing key. Destinations are seeded in every retry state *relative to the simulator clock at start*, like
// the recorded server (federation.json): healthy, idle (never sent), backing off, retry due, dead (7-day cap).
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { Prng } from "./seed";
import type { SimState } from "./state";

/** A row of Synapse's `destinations` table, with the API's field names. */
export interface SimDestination {
  destination: string;
  /** ms of the last failed attempt; 0 after a success. Null on Synapse before 1.98 (see `legacyNulls`). */
  retry_last_ts: number | null;
  retry_interval: number | null;
  failure_ts: number | null;
  last_successful_stream_ordering: number | null;
}

export interface SimDestinationRoom {
  room_id: string;
  stream_ordering: number;
}

/**
 * A room as the admin rooms API shows it (list and details, statistics.json). Only the fields Synapse returns;
 * `name` and `canonical_alias` are null when the room has none (as many DMs do).
 */
export interface SimRoom {
  room_id: string;
  name: string | null;
  topic: string | null;
  canonical_alias: string | null;
  joined_members: number;
  joined_local_members: number;
  version: string;
  creator: string;
  encryption: string | null;
  federatable: boolean;
  public: boolean;
  join_rules: string;
  guest_access: string | null;
  history_visibility: string;
  state_events: number;
  room_type: string | null;
}

/** How `/_matrix/key/v2/server` answers: correctly, not at all, with an expired validity, or a broken signature. */
export type ServerKeyMode = "ok" | "missing" | "expired" | "bad_signature";

export interface SimSigningKey {
  keyId: string;
  publicKey: KeyObject;
  privateKey: KeyObject;
}

export interface SimFederation {
  destinations: Map<string, SimDestination>;
  /** destination → rooms that still need sending there. */
  rooms: Map<string, SimDestinationRoom[]>;
  /** Every room of this server, by room id: what the admin rooms API lists (routes/rooms.ts). */
  roomDirectory: Map<string, SimRoom>;
  /** `/.well-known/matrix/client` body; null = not served (404 M_NOT_FOUND). Default: base_url = the simulator. */
  clientWellKnown: Record<string, unknown> | null | "default";
  /** `/.well-known/matrix/server` body; null = not served (text/plain 404, as recorded). */
  serverWellKnown: Record<string, unknown> | null;
  serverKeyMode: ServerKeyMode;
  signingKey: SimSigningKey;
  /** Synapse's key_refresh_interval: how long a served key response stays valid (default 1 day). */
  keyValidityMs: number;
}

const DAY = 86_400_000;
const MIN = 60_000;
export const MAX_RETRY_INTERVAL = 7 * DAY;

function newSigningKey(): SimSigningKey {
  // DER out, KeyObjects re-imported: a KeyObject straight from generateKeyPairSync can deadlock Node 20 when exported
  // while the generation job is garbage-collected (see newKey in seed-posture.ts).
  const pair = generateKeyPairSync("ed25519", { publicKeyEncoding: { type: "spki", format: "der" }, privateKeyEncoding: { type: "pkcs8", format: "der" } });
  const publicKey = createPublicKey({ key: pair.publicKey, format: "der", type: "spki" });
  const privateKey = createPrivateKey({ key: pair.privateKey, format: "der", type: "pkcs8" });
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
  let id = "a_";
  for (let i = 0; i < 4; i++) id += alphabet[Math.floor(Math.random() * alphabet.length)];
  return { keyId: `ed25519:${id}`, publicKey, privateKey };
}

export function createFederationState(): SimFederation {
  return {
    destinations: new Map(),
    rooms: new Map(),
    roomDirectory: new Map(),
    clientWellKnown: "default",
    serverWellKnown: null,
    serverKeyMode: "ok",
    signingKey: newSigningKey(),
    keyValidityMs: DAY,
  };
}

export function addDestination(state: SimState, d: Partial<SimDestination> & { destination: string }): SimDestination {
  const row: SimDestination = {
    retry_last_ts: 0,
    retry_interval: 0,
    failure_ts: null,
    last_successful_stream_ordering: null,
    ...d,
  };
  state.federation.destinations.set(row.destination, row);
  return row;
}

export function addRoom(state: SimState, r: Partial<SimRoom> & { room_id: string }): SimRoom {
  const room: SimRoom = {
    name: null,
    topic: null,
    canonical_alias: null,
    joined_members: 2,
    joined_local_members: 1,
    version: "10",
    creator: `@admin:${state.serverName}`,
    encryption: "m.megolm.v1.aes-sha2",
    federatable: true,
    public: false,
    join_rules: "invite",
    guest_access: "can_join",
    history_visibility: "shared",
    state_events: 8,
    room_type: null,
    ...r,
  };
  state.federation.roomDirectory.set(room.room_id, room);
  return room;
}

const ROOM_NAMES = ["General", "Random", "E2EE lab", "Book club", "Ops", "Release planning", "Matrix HQ", "Gardening", "Board games", "Music", "Hiking", "Support"];

/**
 * The named destinations every simulator has, one or more per state (times relative to `now`), and the rooms
 * shared with them. A room's `stream_ordering` is the newest local event that still needs sending there: at or
 * below `last_successful_stream_ordering` for a destination that is caught up (healthy.example, as recorded),
 * above it for one that is behind. Some rooms have no name (DMs), one only an alias.
 */
export function seedFederation(state: SimState, opts: { seed: number; now: number }): void {
  const now = opts.now;
  const rng = new Prng(opts.seed ^ 0xfed);
  const room = () => `!${rng.upper(6)}${rng.upper(12).toLowerCase()}:${state.serverName}`;
  // A pool of rooms: most named, a few DMs without a name, one with only an alias.
  const pool: string[] = [];
  for (let i = 0; i < ROOM_NAMES.length + 4; i++) {
    const id = room();
    const named = i < ROOM_NAMES.length;
    const aliasOnly = i === ROOM_NAMES.length;
    addRoom(state, {
      room_id: id,
      name: named ? ROOM_NAMES[i] : null,
      canonical_alias: named && i % 3 === 0 ? `#${ROOM_NAMES[i].toLowerCase().replace(/\s+/g, "-")}:${state.serverName}` : aliasOnly ? `#lobby:${state.serverName}` : null,
      joined_members: named || aliasOnly ? rng.int(3, 120) : 2,
      public: named && i % 2 === 0,
      join_rules: named && i % 2 === 0 ? "public" : "invite",
      state_events: rng.int(6, 60),
    });
    pool.push(id);
  }
  // [destination fields, rooms shared, how many of them it is behind on]
  const fixed: Array<Partial<SimDestination> & { destination: string; rooms?: number; behind?: number }> = [
    { destination: "healthy.example", last_successful_stream_ordering: 36, rooms: 3 },
    { destination: "matrix.example.org", last_successful_stream_ordering: 120, rooms: 5, behind: 1 },
    { destination: "idle.example:8448", rooms: 0 },
    // Backing off: failed 2 min ago, 1 h interval → next retry in 58 min.
    { destination: "backoff.example", retry_last_ts: now - 2 * MIN, retry_interval: 60 * MIN, failure_ts: now - 2 * 3600_000, rooms: 2 },
    // Retry due: the 10-min interval ran out 12 h ago; Synapse tries again on the next event for it.
    { destination: "retrydue.example", retry_last_ts: now - 12 * 3600_000 - 10 * MIN, retry_interval: 10 * MIN, failure_ts: now - DAY, last_successful_stream_ordering: 15, rooms: 1, behind: 1 },
    // Dead: the interval reached the 7-day cap (one still waiting, one past its weekly retry).
    { destination: "dead.example", retry_last_ts: now - 1 * DAY, retry_interval: MAX_RETRY_INTERVAL, failure_ts: now - 30 * DAY, last_successful_stream_ordering: 20, rooms: 2, behind: 2 },
    { destination: "gone.example", retry_last_ts: now - 8 * DAY, retry_interval: MAX_RETRY_INTERVAL, failure_ts: now - 90 * DAY, rooms: 1 },
  ];
  let next = 0;
  for (const { rooms = 0, behind = 0, ...d } of fixed) {
    addDestination(state, d);
    const sent = d.last_successful_stream_ordering ?? null;
    const list: SimDestinationRoom[] = [];
    for (let i = 0; i < rooms; i++) {
      const room_id = pool[next++ % pool.length];
      // Behind: newer than the last event the destination took. Caught up: at or below it. Never sent: anything.
      const stream_ordering = sent === null ? rng.int(1, 200) : i < behind ? rng.int(sent + 1, sent + 80) : rng.int(1, sent);
      list.push({ room_id, stream_ordering });
    }
    state.federation.rooms.set(d.destination, list);
  }
}

/**
 * `count` more destinations with a realistic mix (about 80 % healthy, the rest spread over the failing
 * states), for scale tests and benchmarks. Deterministic for a given seed and now.
 */
export function seedManyDestinations(state: SimState, opts: { count: number; seed: number; now: number }): void {
  const rng = new Prng(opts.seed ^ 0xdead);
  const now = opts.now;
  for (let i = 0; i < opts.count; i++) {
    const destination = `hs${i.toString().padStart(5, "0")}.${rng.pick(["example.org", "example.net", "chat.example", "matrix.test"])}`;
    const r = rng.float();
    if (r < 0.8) {
      addDestination(state, { destination, last_successful_stream_ordering: rng.chance(0.3) ? null : rng.int(1, 10_000) });
      continue;
    }
    const failureTs = now - rng.int(MIN, 60 * DAY);
    let interval: number;
    let last: number;
    if (r < 0.88) {
      interval = rng.int(10, 600) * MIN; // backing off
      last = now - rng.int(0, interval - 1);
    } else if (r < 0.95) {
      interval = rng.int(10, 600) * MIN; // retry due
      last = now - interval - rng.int(1, DAY);
    } else {
      interval = MAX_RETRY_INTERVAL; // dead
      last = now - rng.int(0, 10 * DAY);
    }
    addDestination(state, { destination, retry_last_ts: last, retry_interval: interval, failure_ts: Math.min(failureTs, last) });
  }
}

// A believable past for the seeded world (the demo's history, issue 14 item 26). The seed describes the server as
// it is *now*; `worldHistory` rewinds it to `days` ago and replays it day by day: accounts appear at their
// creation_ts, deactivated accounts were active until a day between their creation and now, last-seen times never lie
// in the future, and destinations fail and recover (the ones failing now started at their failure_ts; a few healthy
// ones had outages of a few days). Only the state changes: the HTTP answers stay Synapse's (synapse-api.md).
// `at(ms)` sets the state for a moment, in order; `finish()` restores the seeded present exactly.
import { Prng } from "./seed";
import type { SimDestination } from "./seed-federation";
import type { SimState, SimUser } from "./state";

const DAY = 86_400_000;

export interface WorldHistory {
  /** The first moment of the history (`days` before the present). */
  start: number;
  /** Puts the world at `ms` (between start and the present; call with increasing times). */
  at(ms: number): void;
  /** Back to the seeded present. */
  finish(): void;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

export function worldHistory(state: SimState, opts: { now: number; days: number; seed: number }): WorldHistory {
  const rng = new Prng(opts.seed ^ 0x415);
  const start = opts.now - opts.days * DAY;
  const users = [...state.users.values()].map((u) => ({ ...u }));
  const truth = new Map(users.map((u) => [u.name, u]));
  // When each deactivated account was deactivated: a third before the history starts, the rest during it (so the
  // charts show some), never before the account existed.
  const deactivatedAt = new Map<string, number>();
  for (const u of users) {
    if (!u.deactivated) continue;
    const from = rng.chance(1 / 3) ? u.creation_ts : Math.max(u.creation_ts, start);
    deactivatedAt.set(u.name, from + rng.int(0, Math.max(1, opts.now - from - DAY)));
  }
  const destinations = [...state.federation.destinations.values()].map((d) => ({ ...d }));
  // Healthy destinations get an outage of 1–6 days now and then; the failing ones started failing at failure_ts.
  const outages = new Map<string, Array<[number, number]>>();
  for (const d of destinations) {
    if (d.failure_ts || !rng.chance(0.5)) continue;
    const list: Array<[number, number]> = [];
    for (let i = rng.int(1, 3); i > 0; i--) {
      const from = start + rng.int(0, opts.days - 7) * DAY + rng.int(0, DAY);
      list.push([from, from + rng.int(1, 6) * DAY]);
    }
    outages.set(d.destination, list);
  }

  function userAt(t: SimUser, ms: number, live: SimUser): void {
    live.deactivated = t.deactivated && (deactivatedAt.get(t.name) ?? 0) <= ms;
    if (t.last_seen_ts === null || t.last_seen_ts <= ms) live.last_seen_ts = t.last_seen_ts;
    else if (live.deactivated) live.last_seen_ts = Math.min(t.last_seen_ts, deactivatedAt.get(t.name)!);
    // Seen later than `ms`: someone who uses the server, so seen recently then too, at their own rhythm (every 1–4
    // days, a per-account phase and hour), so the activity lines wander like real ones instead of moving in step.
    else {
      const h = hash(t.name);
      const every = 1 + (h % 4);
      const sinceVisit = (Math.floor(ms / DAY) + (h >> 3)) % every;
      live.last_seen_ts = Math.max(t.creation_ts, ms - sinceVisit * DAY - ((h >> 7) % 20) * 3_600_000);
    }
  }

  function destinationAt(t: SimDestination, ms: number): SimDestination {
    const healthy: SimDestination = { ...t, retry_last_ts: 0, retry_interval: 0, failure_ts: null };
    if (t.failure_ts) return t.failure_ts <= ms ? { ...t, retry_last_ts: Math.min(t.retry_last_ts ?? 0, ms) || ms - 600_000, retry_interval: Math.min(t.retry_interval ?? 0, ms - t.failure_ts) || 600_000 } : healthy;
    const outage = outages.get(t.destination)?.find(([a, b]) => a <= ms && ms < b);
    if (!outage) return healthy;
    return { ...t, failure_ts: outage[0], retry_last_ts: ms - 300_000, retry_interval: Math.min(7 * DAY, Math.max(600_000, ms - outage[0])) };
  }

  function at(ms: number): void {
    for (const t of users) {
      const live = state.users.get(t.name);
      if (t.creation_ts > ms) {
        state.users.delete(t.name);
        continue;
      }
      if (!live) state.users.set(t.name, { ...t });
      userAt(t, ms, state.users.get(t.name)!);
    }
    for (const t of destinations) state.federation.destinations.set(t.destination, destinationAt(t, ms));
  }

  return {
    start,
    at,
    finish() {
      // Accounts added while the history ran (none in the demo) stay; the seeded ones get their present back.
      for (const u of truth.values()) {
        const live = state.users.get(u.name);
        if (live) Object.assign(live, { deactivated: u.deactivated, last_seen_ts: u.last_seen_ts });
        else state.users.set(u.name, { ...u });
      }
      for (const d of destinations) state.federation.destinations.set(d.destination, { ...d });
    },
  };
}

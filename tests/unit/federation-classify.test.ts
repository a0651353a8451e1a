/**
 * Destination classification (reference §3) at several clock times, on the simulator's seeded destinations
 * (one or more in every state) and on hand-made edge cases; plus a property: the state only depends on the
 * documented rules.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { classifyDestination, MAX_RETRY_INTERVAL_MS } from "../../app/services/federation/classify.server";
import { formatDuration } from "../../app/components/federation/states";
import { createState } from "../simulator/state";
import { seedFederation, type SimDestination } from "../simulator/seed-federation";

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

function seeded(): Map<string, SimDestination> {
  const state = createState("sim.test", "1.132.0");
  seedFederation(state, { seed: 1, now: NOW });
  return state.federation.destinations;
}

const classify = (d: SimDestination, now: number) =>
  classifyDestination({ retryLastTs: d.retry_last_ts, retryInterval: d.retry_interval, failureTs: d.failure_ts }, now);

describe("classifyDestination on the seeded destinations", () => {
  const dests = seeded();
  const stateAt = (now: number) => Object.fromEntries([...dests.values()].map((d) => [d.destination, classify(d, now).state]));

  it("has every state at the seeding time", () => {
    expect(stateAt(NOW)).toEqual({
      "healthy.example": "healthy",
      "matrix.example.org": "healthy",
      "idle.example:8448": "healthy",
      "backoff.example": "backing_off",
      "retrydue.example": "retry_due",
      "dead.example": "dead",
      "gone.example": "dead",
    });
  });

  it("turns backing off into retry due once the interval has passed (58 min later), and nothing else", () => {
    const before = stateAt(NOW + 58 * MIN - 1);
    const after = stateAt(NOW + 58 * MIN);
    expect(before["backoff.example"]).toBe("backing_off");
    expect(after["backoff.example"]).toBe("retry_due");
    for (const name of Object.keys(before)) if (name !== "backoff.example") expect(after[name]).toBe(before[name]);
  });

  it("keeps dead destinations dead a week later, whether or not their weekly retry is due", () => {
    const later = stateAt(NOW + 8 * DAY);
    expect(later["dead.example"]).toBe("dead");
    expect(later["gone.example"]).toBe("dead");
    expect(later["healthy.example"]).toBe("healthy");
    expect(later["retrydue.example"]).toBe("retry_due");
  });

  it("reports when the next retry is and since when it fails", () => {
    const b = classify(dests.get("backoff.example")!, NOW);
    expect(b.nextRetryAt).toBe(NOW + 58 * MIN);
    expect(b.failingSince).toBe(NOW - 2 * HOUR);
    expect(b.intervalMs).toBe(HOUR);
    const r = classify(dests.get("retrydue.example")!, NOW);
    expect(r.nextRetryAt).toBeNull();
    expect(r.failingSince).toBe(NOW - DAY);
    expect(classify(dests.get("healthy.example")!, NOW)).toEqual({ state: "healthy", nextRetryAt: null, failingSince: null, intervalMs: 0 });
    // dead.example waits out its 7-day interval: the next attempt is 6 days away.
    expect(classify(dests.get("dead.example")!, NOW).nextRetryAt).toBe(NOW - DAY + 7 * DAY);
  });
});

describe("classifyDestination edge cases", () => {
  it("treats null retry fields (Synapse before 1.98) as 0, i.e. healthy", () => {
    expect(classifyDestination({ retryLastTs: null, retryInterval: null, failureTs: null }, NOW).state).toBe("healthy");
    expect(classifyDestination({ retryLastTs: NOW - 1000, retryInterval: null, failureTs: null }, NOW).state).toBe("retry_due");
  });

  it("is retry due exactly at retry_last_ts + retry_interval (now >= is due)", () => {
    const d = { retryLastTs: NOW - 10 * MIN, retryInterval: 10 * MIN, failureTs: NOW - HOUR };
    expect(classifyDestination(d, NOW - 1).state).toBe("backing_off");
    expect(classifyDestination(d, NOW).state).toBe("retry_due");
  });

  it("calls an interval at the 7-day cap dead, even while it is backing off; one below is not", () => {
    expect(classifyDestination({ retryLastTs: NOW - 1, retryInterval: MAX_RETRY_INTERVAL_MS, failureTs: NOW - 40 * DAY }, NOW).state).toBe("dead");
    expect(classifyDestination({ retryLastTs: NOW - 1, retryInterval: MAX_RETRY_INTERVAL_MS - 1, failureTs: NOW - 40 * DAY }, NOW).state).toBe("backing_off");
  });

  it("uses the last failed attempt as 'failing since' when failure_ts is missing", () => {
    expect(classifyDestination({ retryLastTs: NOW - HOUR, retryInterval: 10 * MIN, failureTs: null }, NOW).failingSince).toBe(NOW - HOUR);
  });

  it("follows the reference's rules for any timings (property)", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 2 ** 42 }),
        fc.nat({ max: 2 * MAX_RETRY_INTERVAL_MS }),
        fc.nat({ max: 2 ** 42 }),
        (last, interval, now) => {
          const { state, nextRetryAt } = classifyDestination({ retryLastTs: last, retryInterval: interval, failureTs: null }, now);
          if (last === 0) return state === "healthy";
          if (interval >= MAX_RETRY_INTERVAL_MS) return state === "dead";
          if (now < last + interval) return state === "backing_off" && nextRetryAt === last + interval;
          return state === "retry_due" && nextRetryAt === null;
        },
      ),
    );
  });
});

describe("formatDuration", () => {
  it("reads like a person would say it", () => {
    expect(formatDuration(45_000)).toBe("45 s");
    expect(formatDuration(10 * MIN)).toBe("10 min");
    expect(formatDuration(3 * HOUR + 20 * MIN)).toBe("3 h 20 min");
    expect(formatDuration(7 * DAY)).toBe("7 d");
    expect(formatDuration(2 * DAY + 4 * HOUR)).toBe("2 d 4 h");
  });
});

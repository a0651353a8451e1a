// Synapse's Ratelimiter (synapse/api/ratelimiting.py), transcribed so 429s and retry_after_ms come out
// the way the real server computes them, driven by the simulator's clock.
import { errors } from "./errors";

export interface RateConfig {
  perSecond: number;
  burstCount: number;
}

export class Ratelimiter {
  /** key → [action_count, time_start_s] */
  private readonly actions = new Map<string, [number, number]>();

  constructor(readonly config: RateConfig) {}

  /** Returns whether allowed and the time (s) the next action will be. `update` records the action. */
  canDoAction(key: string, nowMs: number, update = true): { allowed: boolean; timeAllowedS: number } {
    const now = nowMs / 1000;
    const { perSecond: rate, burstCount: burst } = this.config;
    let [actionCount, timeStart] = this.actions.get(key) ?? [0, now];
    let performed = actionCount - (now - timeStart) * rate;
    if (performed < 0) {
      // Reset the start time and forgive all actions.
      performed = 0;
      actionCount = 0;
      timeStart = now;
    }
    let allowed = false;
    if (!(performed > burst - 1)) {
      allowed = true;
      actionCount += 1;
    }
    if (update) this.actions.set(key, [actionCount, timeStart]);
    const timeAllowedS = Math.max(now, timeStart + (actionCount - burst + 1) / rate);
    return { allowed, timeAllowedS };
  }

  /** Throws 429 M_LIMIT_EXCEEDED when not allowed. */
  ratelimit(key: string, nowMs: number, update = true): void {
    const { allowed, timeAllowedS } = this.canDoAction(key, nowMs, update);
    if (!allowed) throw errors.limitExceeded(Math.floor(1000 * (timeAllowedS - nowMs / 1000)));
  }

  clear(): void {
    this.actions.clear();
  }
}

/** Synapse's rc_login defaults (reference §5). Other areas define theirs next to their routes. */
export const RC_LOGIN = {
  address: { perSecond: 0.003, burstCount: 5 },
  account: { perSecond: 0.003, burstCount: 5 },
  failedAttempts: { perSecond: 0.17, burstCount: 3 },
} satisfies Record<string, RateConfig>;

/**
 * Named limiters, created on first use so a new API area needs no edit here:
 * `ctx.sim.ratelimiters.get("rc_registration", { perSecond: 0.17, burstCount: 3 })`.
 * Handlers should only consult them when `ctx.sim.options.rateLimits` is on.
 */
export class Ratelimiters {
  private readonly limiters = new Map<string, Ratelimiter>();

  get(name: string, config: RateConfig): Ratelimiter {
    let l = this.limiters.get(name);
    if (!l) this.limiters.set(name, (l = new Ratelimiter(config)));
    return l;
  }

  clear(): void {
    for (const l of this.limiters.values()) l.clear();
  }
}

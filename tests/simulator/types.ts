// Public option/handle types, kept apart so router/server/routes can import them without cycles.

export interface SimulatorOptions {
  /** 0 (default) = a random free port. */
  port?: number;
  host?: string;
  serverName?: string;
  /** Seeded users besides the admin (default 40). */
  users?: number;
  /** PRNG seed for the seeded users (default 1). */
  seed?: number;
  /** Base clock (default Date.now). `sim.clock` can still freeze/advance it. */
  now?: () => number;
  /** Emulate Synapse's rc_login limits (default false: tests log in a lot). */
  rateLimits?: boolean;
  /** Synapse version reported by server_version and federation version (default "1.132.0"). */
  version?: string;
  /**
   * The Synapse release whose behaviour to follow (same as `version`, which it overrides): 1.132 vs 1.157 differ in
   * the list's last_seen_ts (1.140), login-as for unknown users (1.149), erasing the profile and storing MAS's lock
   * (1.150), the stable auth_metadata (1.138) and MSC3861's static admin token (gone in 1.157).
   */
  synapseVersion?: string;
  /** Old Synapse on SQLite: 0/1 instead of booleans in the v2 users list. */
  booleansAsInts?: boolean;
  /** Emulate MAS/OAuth delegation: some endpoints unmounted, users list rejects guests=true. */
  mas?: boolean;
  /** Artificial latency for every response, in ms (default 0). */
  latencyMs?: number;
  /** Synapse's `enable_registration` (default true: the recorded server allows registration with a token). */
  enableRegistration?: boolean;
  /** Synapse's `registration_requires_token` (default true, like the recorded server). */
  registrationRequiresToken?: boolean;
}

export type ResolvedOptions = Required<Omit<SimulatorOptions, "now">> & { now: () => number };

export interface SimClock {
  now(): number;
  /** Freeze the clock at `ms`. */
  set(ms: number): void;
  /** Move the clock forward (frozen or not). */
  advance(ms: number): void;
  /** Back to the base clock (real time unless `now` was given). */
  reset(): void;
}

// status429: a rate-limit storm (as a reverse proxy or a busy worker answers), M_LIMIT_EXCEEDED with retry_after_ms 200.
export type FaultKind = "timeout" | "status500" | "status429" | "drop" | "garbage" | "html404";

export interface Fault {
  kind: FaultKind;
  /** A string is a prefix of the raw pathname; a RegExp is tested against it. */
  path: string | RegExp;
  /** Any method when left out. */
  method?: string;
  /** Tested against the raw query string (without "?"); any query when left out. Picks one page of a paged list. */
  query?: RegExp;
  /** How many requests it hits before it goes away (default: until clearFaults()). */
  times?: number;
}

export interface RequestLogEntry {
  method: string;
  /** Raw pathname, without the query string. */
  path: string;
  query: string;
  /** 0 when no response was sent (drop, timeout). */
  status: number;
  ms: number;
  fault?: FaultKind;
}

export function createClock(base: () => number): SimClock {
  let fixed: number | null = null;
  let offset = 0;
  return {
    now: () => fixed ?? base() + offset,
    set(ms) {
      fixed = ms;
    },
    advance(ms) {
      if (fixed !== null) fixed += ms;
      else offset += ms;
    },
    reset() {
      fixed = null;
      offset = 0;
    },
  };
}

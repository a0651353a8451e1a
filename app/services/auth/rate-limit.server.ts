/**
 * Fixed-window rate limits held in the database, so the limit holds across replicas (sign-in, public registration).
 * One upsert per hit: the counter restarts when its window has passed.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../../../db/client";

export interface RateLimitResult {
  allowed: boolean;
  remaining: number;
  retryAfterMs: number;
}

export async function hitRateLimit(
  db: Db,
  key: string,
  limit: number,
  windowMs: number,
  now: Date = new Date(),
): Promise<RateLimitResult> {
  const windowStartFloor = new Date(now.getTime() - windowMs);
  const res = await db.execute<{ count: number; start_ms: number }>(sql`
    insert into rate_limits (key, window_start, count) values (${key}, ${now.toISOString()}, 1)
    on conflict (key) do update set
      count = case when rate_limits.window_start <= ${windowStartFloor.toISOString()} then 1 else rate_limits.count + 1 end,
      window_start = case when rate_limits.window_start <= ${windowStartFloor.toISOString()} then ${now.toISOString()}::timestamptz else rate_limits.window_start end
    returning count, (extract(epoch from window_start) * 1000)::float8 as start_ms`);
  const row = (res as unknown as { rows: { count: number; start_ms: number }[] }).rows[0];
  const count = Number(row.count);
  const started = Number(row.start_ms);
  return {
    allowed: count <= limit,
    remaining: Math.max(0, limit - count),
    retryAfterMs: count <= limit ? 0 : Math.max(0, started + windowMs - now.getTime()),
  };
}

/**
 * Whether `key` is already over its limit, without counting a hit: checked before a public form is read, so an
 * address that is over the limit costs no body parsing (and a mistake that never reaches the homeserver need not
 * count).
 */
export async function peekRateLimit(db: Db, key: string, limit: number, windowMs: number, now: Date = new Date()): Promise<RateLimitResult> {
  const res = await db.execute<{ count: number; start_ms: number }>(
    sql`select count, (extract(epoch from window_start) * 1000)::float8 as start_ms from rate_limits where key = ${key}`,
  );
  const row = (res as unknown as { rows: { count: number; start_ms: number }[] }).rows[0];
  if (!row) return { allowed: true, remaining: limit, retryAfterMs: 0 };
  const started = Number(row.start_ms);
  const count = Number(row.count);
  if (started + windowMs <= now.getTime() || count < limit) return { allowed: true, remaining: Math.max(0, limit - count), retryAfterMs: 0 };
  return { allowed: false, remaining: 0, retryAfterMs: Math.max(0, started + windowMs - now.getTime()) };
}

/** The longest window any limit uses; rows older than this are spent. */
export const RATE_LIMIT_RETENTION_MS = 24 * 3_600_000;

/** Deletes spent counters (every address that ever hit a limit left one). Returns how many went. */
export async function purgeRateLimits(db: Db, now: Date = new Date(), retentionMs = RATE_LIMIT_RETENTION_MS): Promise<number> {
  const res = await db.execute(sql`delete from rate_limits where window_start < ${new Date(now.getTime() - retentionMs).toISOString()}`);
  return Number((res as unknown as { rowCount?: number; affectedRows?: number }).rowCount ?? (res as { affectedRows?: number }).affectedRows ?? 0);
}

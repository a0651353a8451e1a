/**
 * Tolerant field parsers for homeserver JSON, where real servers differ from the docs:
 * - booleans come as true/false, or 0/1 from older Synapse on SQLite (seen on 1.94);
 * - federation retry fields were nullable before 1.98 (null means 0);
 * - timestamps are milliseconds almost everywhere, but `creation_ts` of the single-user GET is in SECONDS.
 *   Every returned type carries milliseconds; the parser name says what the wire unit is.
 * Zod objects strip unknown keys, so extra fields from newer servers are ignored; fields that older servers
 * omit are optional with a documented default.
 */
import { z } from "zod";

/**
 * Any JSON number Steward can use. JSON.parse turns an overflowing literal such as 1e400 into Infinity, which
 * z.number() accepts and which then breaks arithmetic, dates and database columns: refuse it at the door.
 */
export const finiteNumber = z.number().finite();

/** The range of a JavaScript Date (±8.64e15 ms): a timestamp outside it cannot be displayed or stored. */
export const MAX_DATE_MS = 8.64e15;
const msNumber = finiteNumber.min(-MAX_DATE_MS).max(MAX_DATE_MS);

/** true/false or 0/1. */
export const bool = z.unknown().transform((v, ctx) => booleanOf(v, ctx, undefined));

/** A boolean an older server may omit (or send as null); `fallback` is what omission means. */
export const boolOr = (fallback: boolean) => z.unknown().transform((v, ctx) => booleanOf(v, ctx, fallback));

/**
 * Not a z.union: a union builds an issue object for every branch that fails, and these fields sit in every device
 * and user of a scan (tens of thousands of parses), where the failed branches showed up as a tenth of the CPU.
 */
function booleanOf(v: unknown, ctx: z.RefinementCtx, fallback: boolean | undefined): boolean {
  if (v === true || v === 1) return true;
  if (v === false || v === 0) return false;
  if ((v === null || v === undefined) && fallback !== undefined) return fallback;
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: `Expected a boolean (or 0/1), received ${v === null ? "null" : typeof v}` });
  return z.NEVER;
}

/** A string that may be null or missing → null. */
export const nullableString = z
  .string()
  .nullish()
  .transform((v) => v ?? null);

/** A number that may be null or missing → null. */
export const nullableNumber = finiteNumber
  .nullish()
  .transform((v) => v ?? null);

/** A count or interval where null/missing means 0 (e.g. pre-1.98 federation retry fields). */
export const numberOrZero = finiteNumber
  .nullish()
  .transform((v) => v ?? 0);

/** A timestamp sent in milliseconds (nullable). */
export const msTimestamp = msNumber.nullish().transform((v) => v ?? null);

/** A timestamp sent in milliseconds that must be present. */
export const requiredMsTimestamp = msNumber;

/** A millisecond timestamp where null/missing means 0 (pre-1.98 federation retry_last_ts). */
export const msTimestampOrZero = msNumber.nullish().transform((v) => v ?? 0);

/**
 * A timestamp sent in SECONDS, returned in milliseconds (nullable).
 * A value above 1e11 cannot be seconds (that is the year 5138), so it is taken as already being ms: this keeps
 * us right if Synapse ever fixes the unit of the single-user `creation_ts`.
 */
export const secondsTimestampAsMs = finiteNumber
  .nullish()
  .transform((v) => (v === null || v === undefined ? null : v > 1e11 ? v : v * 1000))
  .pipe(msNumber.nullable());

/**
 * `next_token`: a string in most APIs, an integer in statistics/users/media. Normalised to a string
 * (it is only ever sent back as `from`); absent/null → undefined.
 */
export const nextToken = z
  .union([z.string(), finiteNumber])
  .nullish()
  .transform((v) => (v === null || v === undefined ? undefined : String(v)));

/** A JSON object whose values we keep raw. */
export const jsonObject = z.record(z.unknown());

/** An object kept as sent (signed key objects must not lose fields). */
export const looseObject = <T extends z.ZodRawShape>(shape: T) => z.object(shape).passthrough();

/** Offset-paged list envelope shared by users, destinations, destination rooms and media statistics. */
export const pageFields = {
  total: finiteNumber,
  next_token: nextToken,
};

/**
 * Describe a parse failure without values: paths and issue codes only, because the offending JSON may
 * contain secrets (a login response holds an access token).
 */
export function describeParseFailure(err: unknown): string {
  if (err instanceof z.ZodError) {
    const issues = err.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(root)"}: ${i.code}`);
    if (err.issues.length > 5) issues.push(`and ${err.issues.length - 5} more`);
    return `invalid shape (${issues.join("; ")})`;
  }
  return "invalid shape";
}

/**
 * A hand-written fast path in front of a zod schema, for responses a scan reads tens of thousands of times. The fast
 * path returns null whenever anything is unusual; zod then parses as before (and words the error). So the fast path
 * only has to be right about the common, valid case — tests/unit/homeserver-fast-parse.test.ts checks that it always
 * agrees with the schema.
 */
export function withFastPath<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, fast: (json: unknown) => T | null): (json: unknown) => T {
  return (json) => fast(json) ?? schema.parse(json);
}

/** A JSON object (not an array, not null) without a `__proto__` key (zod drops those; leave them to zod). */
export function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !Object.prototype.hasOwnProperty.call(v, "__proto__");
}

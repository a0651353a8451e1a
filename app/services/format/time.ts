/**
 * The one relative-time wording of the app (issue 14, item 9), shared by the components and the server.
 *
 * A past event is always written in the past tense: "just now", "3 min ago", "2 d ago". A timestamp a little ahead
 * of `now` (the database's clock, the homeserver's, or the browser's disagreeing by a few seconds) is still an
 * event that happened, so it reads "just now", never "in under a minute".
 * A future moment (an expiry, a retry) reads "in 3 min"; once it has passed it reads like a past event.
 */
export type Tense = "past" | "future";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

function amount(abs: number): string {
  if (abs < HOUR) return `${Math.max(1, Math.round(abs / MIN))} min`;
  if (abs < DAY) return `${Math.round(abs / HOUR)} h`;
  if (abs < 60 * DAY) return `${Math.round(abs / DAY)} d`;
  if (abs < 730 * DAY) return `${Math.round(abs / (30 * DAY))} mo`;
  return `${Math.round(abs / (365 * DAY))} y`;
}

/** `ms` relative to `now`, in the tense of what it is (default: a past event). */
export function relativeTime(ms: number, now: number, tense: Tense = "past"): string {
  const ahead = ms - now;
  if (tense === "future" && ahead > 0) return ahead < MIN ? "in under a minute" : `in ${amount(ahead)}`;
  const behind = now - ms;
  if (behind < MIN) return "just now";
  return `${amount(behind)} ago`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A date and time for people, in UTC and in words: "3 Dec 2026, 18:05 UTC" (no ISO, no epoch). */
export function dateTimeUtc(ms: number): string {
  const d = new Date(ms);
  if (!Number.isFinite(d.getTime())) return "an unknown time";
  const hh = String(d.getUTCHours()).padStart(2, "0");
  const mm = String(d.getUTCMinutes()).padStart(2, "0");
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${hh}:${mm} UTC`;
}

/** A date for people, in UTC: "3 Dec 2026". */
export function dateUtc(ms: number): string {
  const d = new Date(ms);
  if (!Number.isFinite(d.getTime())) return "an unknown date";
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

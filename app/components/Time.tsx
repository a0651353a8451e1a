/**
 * A timestamp shown relative ("3 h ago", or "in 3 h" with tense="future") with the absolute time in the admin's time zone on hover. The server
 * renders UTC; after hydration the browser's zone is used.
 */
import { useEffect, useState } from "react";
import { relativeTime, type Tense } from "~/services/format/time";

/** Kept for callers written before issue 14: the app's one relative-time function is `relativeTime`. */
export const formatRelative = relativeTime;

/**
 * One formatter per time zone: `toLocaleString` with options builds a new Intl.DateTimeFormat on every call, which
 * made the timestamp cells about a third of the CPU of rendering the users page (load benchmark profile).
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
export function formatAbsolute(ms: number, zone: string | undefined): string {
  const key = zone ?? "";
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", { timeZone: zone, dateStyle: "medium", timeStyle: "short" });
    formatters.set(key, f);
  }
  return f.format(ms);
}

export function Time({ value, never = "never", tense = "past" }: { value: string | number | Date | null | undefined; never?: string; tense?: Tense }) {
  const [zone, setZone] = useState<string | undefined>("UTC");
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    setZone(undefined);
    setNow(Date.now());
  }, []);
  if (value === null || value === undefined || value === "") return <span className="muted">{never}</span>;
  const ms = value instanceof Date ? value.getTime() : typeof value === "number" ? value : Date.parse(value);
  if (!Number.isFinite(ms)) return <span className="muted">{never}</span>;
  const absolute = formatAbsolute(ms, zone) + (zone ? " UTC" : "");
  const iso = new Date(ms).toISOString();
  return (
    <time dateTime={iso} title={absolute}>
      {now === null ? absolute : relativeTime(ms, now, tense)}
    </time>
  );
}

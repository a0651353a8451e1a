/**
 * An absolute date-time in the admin's time zone (UTC while server-rendered, the browser's zone after hydration),
 * next to the shared relative <Time>.
 */
import { useEffect, useState } from "react";
import { Time, formatAbsolute } from "~/components/Time";

export function AbsoluteTime({ ms }: { ms: number }) {
  const [zone, setZone] = useState<string | undefined>("UTC");
  useEffect(() => setZone(undefined), []);
  const text = formatAbsolute(ms, zone) + (zone ? " UTC" : "");
  return <span className="muted small">{text}</span>;
}

/** "in 6 d · 3 Dec 2026, 18:00" or "never". */
export function ExpiryText({ ms }: { ms: number | null }) {
  if (ms === null) return <span className="muted">never</span>;
  return (
    <>
      <Time value={ms} tense="future" /> <AbsoluteTime ms={ms} />
    </>
  );
}

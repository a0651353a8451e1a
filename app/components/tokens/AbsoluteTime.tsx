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

/**
 * "in 6 d · 3 Dec 2026, 18:00", "never", "expired 2 d ago · …", or "— (revoked)": a revoked token has no expiry to
 * come, and a past expiry is written in the past tense.
 */
export function ExpiryText({ ms, state }: { ms: number | null; state?: string }) {
  if (state === "revoked") return <span className="muted" data-testid="expiry">— (revoked)</span>;
  if (ms === null) return <span className="muted" data-testid="expiry">never</span>;
  if (state === "expired" || ms <= Date.now()) {
    return (
      <span data-testid="expiry">
        expired <Time value={ms} /> <AbsoluteTime ms={ms} />
      </span>
    );
  }
  return (
    <span data-testid="expiry">
      <Time value={ms} tense="future" /> <AbsoluteTime ms={ms} />
    </span>
  );
}

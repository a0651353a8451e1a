/** Destination states as the browser shows them (the classification itself is server-side). */
export type DestinationStateName = "healthy" | "backing_off" | "retry_due" | "dead";

export const STATE_ORDER: DestinationStateName[] = ["healthy", "backing_off", "retry_due", "dead"];

export const STATE_TEXT: Record<DestinationStateName, { label: string; badge: string; color: string; hint: string }> = {
  healthy: { label: "Healthy", badge: "ok", color: "#2e7d32", hint: "The last attempt succeeded." },
  backing_off: { label: "Backing off", badge: "warn", color: "#d08c00", hint: "Failing; Synapse waits before trying again." },
  retry_due: { label: "Retry due", badge: "info", color: "#1565c0", hint: "Failing; Synapse tries again with the next event for it." },
  dead: { label: "Dead", badge: "bad", color: "#c62828", hint: "Failing for so long the retry interval is at its 7-day cap." },
};

/** "3 h 20 min", "2 d 4 h", "45 s": a duration for people. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

// How a recorded response and the simulator's answer are compared: key sets and JSON types, recursively (shared by
// recorded.test.ts and actions-sequence.test.ts).

export const jsonType = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

/**
 * Keys the reference documents as nullable. A list element is compared with the recorded *first* element,
 * so a null on one side and a value on the other is not a shape difference for these keys.
 */
export const NULLABLE_KEYS = new Set([
  // users (list + single)
  "user_type", "displayname", "avatar_url", "last_seen_ts", "appservice_id",
  "consent_server_notice_sent", "consent_version", "consent_ts",
  // devices, whois
  "display_name", "last_seen_ip", "last_seen_user_agent",
  // federation destinations
  "failure_ts", "last_successful_stream_ordering",
  // registration tokens: null = unlimited / never expires
  "uses_allowed", "expiry_time",
]);

/** Differences in shape between a recorded value and an actual one, as readable paths. */
export function shapeDiff(expected: unknown, actual: unknown, at = "$", key = ""): string[] {
  const te = jsonType(expected);
  const ta = jsonType(actual);
  if (te !== ta) {
    if ((te === "null" || ta === "null") && NULLABLE_KEYS.has(key)) return [];
    return [`${at}: recorded ${te}, got ${ta}`];
  }
  if (te === "array") {
    const e = expected as unknown[];
    const a = actual as unknown[];
    if (e.length === 0) return [];
    if (a.length === 0) return [`${at}: recorded a non-empty list, got an empty one`];
    return a.flatMap((item, i) => shapeDiff(e[0], item, `${at}[${i}]`, key));
  }
  if (te === "object") {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    const out: string[] = [];
    for (const k of Object.keys(e)) if (!(k in a)) out.push(`${at}.${k}: missing`);
    for (const k of Object.keys(a)) if (!(k in e)) out.push(`${at}.${k}: unexpected key`);
    for (const k of Object.keys(e)) if (k in a) out.push(...shapeDiff(e[k], a[k], `${at}.${k}`, k));
    return out;
  }
  return [];
}

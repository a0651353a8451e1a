/**
 * A relative time ("3 h ago") computed against the loader's `now`, so server and browser render the same text.
 * Cheaper than <Time> for long tables: no Intl formatter per cell (it dominated the page's render time).
 */
import { formatRelative } from "../Time";

export function Ago({ ms, now }: { ms: number; now: number }) {
  const iso = new Date(ms).toISOString();
  return (
    <time dateTime={iso} title={`${iso.slice(0, 16).replace("T", " ")} UTC`}>
      {formatRelative(ms, now)}
    </time>
  );
}

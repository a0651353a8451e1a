/**
 * The stale-data banner of a page that normally shows the homeserver's live answer and, while the homeserver is
 * unavailable, shows Steward's stored records instead: the reason and when the records were last synced. Same
 * look and test id as StaleBanner (the banner of collector-built reports).
 */
import { Time } from "../Time";

export function StoredDataBanner({ what, reason, syncedAt }: { what: string; reason: string; syncedAt: number | null }) {
  return (
    <div className="alert warn" role="status" data-testid="stale-banner">
      <strong>
        The homeserver is unavailable: showing Steward&apos;s stored {what}, last synced <Time value={syncedAt} never="never" />.
      </strong>{" "}
      {reason} States and counters are as of that sync; changes need the homeserver and are refused until it answers.
    </div>
  );
}

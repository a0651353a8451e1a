/**
 * How many Steward devices the admin's account has (decision 021): a link in the header, and a note above the
 * device list on the admin's own user page, where each old one can be signed out.
 */
import { STEWARD_DEVICE_NAME, stewardDevicesWords } from "~/services/auth/steward-device";

const ownPage = (userId: string) => `/users/${encodeURIComponent(userId)}#devices-h`;

/** The header's count; nothing when unknown or none (a pasted token's account may have none). */
export function StewardDevicesLink({ userId, count }: { userId: string; count: number | null }) {
  if (!count) return null;
  return (
    <a
      href={ownPage(userId)}
      data-testid="steward-devices"
      className={count > 1 ? "badge warn" : "small"}
      title={`Devices on your account named “${STEWARD_DEVICE_NAME}”: one per browser signed in to Steward with a password. Open your account to sign out the ones you no longer use.`}
    >
      {stewardDevicesWords(count)}
    </a>
  );
}

/** The own-page note: the count, which one is this session, and what to do with the others. Nothing when none. */
export function StewardDevicesNote({ count, ownDeviceId, ownIsSteward }: { count: number; ownDeviceId: string | null; ownIsSteward: boolean }) {
  if (count <= 0) return null;
  const others = ownIsSteward ? count - 1 : count;
  const named = `named “${STEWARD_DEVICE_NAME}”, one per browser that signed in to Steward with a password`;
  return (
    <p className={others > 0 ? "alert warn" : "small muted"} data-testid="steward-devices-note">
      Your account has <strong>{stewardDevicesWords(count)}</strong> ({named}).{" "}
      {ownIsSteward ? (
        <>
          This session uses <span className="mono">{ownDeviceId}</span>
          {others > 0 ? `; the ${others === 1 ? "other one is" : `other ${others} are`} left from other browsers or earlier sign-ins: sign out the ones you no longer use below.` : "."}{" "}
          Steward signs its device out itself when a session ends or expires.
        </>
      ) : (
        "This session does not use one (it was not a password sign-in): they are left from earlier sign-ins. Sign out the ones you no longer use below."
      )}
    </p>
  );
}

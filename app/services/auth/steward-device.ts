/**
 * Steward's own device on an admin's account (decision 021). Shared by the server (password sign-in names its device
 * with it) and the pages (which mark and count those devices), so it holds no server-only code.
 */

/** The display name Steward gives the device of a password sign-in. Element shows it in the admin's session list. */
export const STEWARD_DEVICE_NAME = "Steward admin dashboard";

/** Whether a device is one of Steward's sign-ins: by its name, the only mark a device carries. */
export function isStewardDevice(displayName: string | null | undefined): boolean {
  return displayName === STEWARD_DEVICE_NAME;
}

/** "1 Steward device", "3 Steward devices". */
export function stewardDevicesWords(n: number): string {
  return `${n.toLocaleString("en")} Steward device${n === 1 ? "" : "s"}`;
}

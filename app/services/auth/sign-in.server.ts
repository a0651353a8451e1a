/**
 * Admin sign-in: a Matrix password login (or a pasted access token) against the homeserver, admitted only when
 * the homeserver says the account is a server admin. Every failure becomes one plain sentence for the form.
 */
import type { HomeserverClient } from "../../homeserver";
import { describeHomeserverError, HomeserverError } from "../../homeserver/errors";
import { STEWARD_DEVICE_NAME } from "./steward-device";

export type SignInInput =
  /** `deviceId`: this browser's earlier Steward device, to be reused instead of creating another (decision 021). */
  | { mode: "password"; homeserverUrl: string; username: string; password: string; deviceId?: string }
  | { mode: "token"; homeserverUrl: string; accessToken: string };

export type SignInResult =
  | { ok: true; userId: string; accessToken: string; deviceId: string | null; serverVersion: string | null; tokenProvided: boolean }
  | { ok: false; field?: "homeserver" | "username" | "password" | "accessToken"; message: string; reason: string };

/** Normalises what an admin types as the homeserver: scheme optional (https assumed), no trailing slash. */
export function normaliseHomeserverUrl(input: string): string | null {
  let v = input.trim();
  if (!v) return null;
  if (!/^https?:\/\//i.test(v)) v = `https://${v}`;
  try {
    const u = new URL(v);
    if (u.username || u.password || u.search || u.hash) return null;
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, "")}`;
  } catch {
    return null;
  }
}

function describe(e: unknown, url: string): { field?: "homeserver"; message: string; reason: string } {
  if (e instanceof HomeserverError) {
    switch (e.kind) {
      case "unreachable":
        return { field: "homeserver", message: `The homeserver at ${url} could not be reached. Check the address and that it is running.`, reason: "unreachable" };
      case "timeout":
        return { field: "homeserver", message: `The homeserver at ${url} did not answer in time. Try again, or check that it is running.`, reason: "timeout" };
      case "not_matrix":
      case "unexpected":
        return { field: "homeserver", message: `${url} does not look like a Matrix homeserver (it did not answer the Matrix client API).`, reason: "not_matrix" };
      case "rate_limited": {
        const s = e.retryAfterMs ? Math.ceil(e.retryAfterMs / 1000) : null;
        return { message: `The homeserver is limiting sign-in attempts. Wait${s ? ` ${s} seconds` : " a moment"} and try again.`, reason: "rate_limited" };
      }
      case "server_error":
        return { field: "homeserver", message: `The homeserver answered with an error (${e.status}). Try again in a moment.`, reason: "server_error" };
      default:
        break;
    }
  }
  return { message: "Sign-in failed for an unexpected reason. Try again.", reason: "unexpected" };
}

export async function signIn(hs: HomeserverClient, input: SignInInput, withToken: (token: string) => HomeserverClient): Promise<SignInResult> {
  const url = input.homeserverUrl;
  // Is it a Matrix server at all? Cheap, unauthenticated, and tells "wrong address" apart from "wrong password".
  try {
    await hs.server.clientVersions();
  } catch (e) {
    return { ok: false, ...describe(e, url) };
  }

  let accessToken: string;
  let userId: string;
  let deviceId: string | null = null;
  const tokenProvided = input.mode === "token";
  if (input.mode === "password") {
    try {
      // With a device id the homeserver keeps that device (and its name) and adds a token to it; without one it
      // creates a new device.
      const login = await hs.auth.loginWithPassword(input.username, input.password, { deviceDisplayName: STEWARD_DEVICE_NAME, deviceId: input.deviceId });
      accessToken = login.accessToken;
      userId = login.userId;
      deviceId = login.deviceId ?? null;
    } catch (e) {
      if (e instanceof HomeserverError) {
        if (e.kind === "forbidden" || e.kind === "user_deactivated" || e.kind === "not_found")
          return { ok: false, field: "password", message: "Wrong username or password.", reason: "bad_password" };
        if (e.kind === "user_locked") return { ok: false, field: "username", message: "This account is locked on the homeserver.", reason: "locked" };
        if (e.kind === "unrecognized")
          return {
            ok: false,
            field: "password",
            message: "This homeserver does not offer password login (it may delegate sign-in to an authentication service). Sign in with an admin access token instead.",
            reason: "no_password_login",
          };
        if (e.kind === "invalid_param" || e.kind === "bad_request")
          return { ok: false, field: "username", message: "The homeserver rejected that username.", reason: "bad_username" };
      }
      return { ok: false, ...describe(e, url) };
    }
  } else {
    accessToken = input.accessToken;
    try {
      const me = await withToken(accessToken).auth.whoami();
      userId = me.userId;
      deviceId = me.deviceId ?? null;
    } catch (e) {
      if (e instanceof HomeserverError && (e.kind === "unknown_token" || e.kind === "missing_token" || e.kind === "forbidden"))
        return { ok: false, field: "accessToken", message: "The homeserver does not accept this access token.", reason: "bad_token" };
      return { ok: false, ...describe(e, url) };
    }
  }

  const authed = withToken(accessToken);
  // Only server admins get in: the admin API answers 200 for an admin and 403 otherwise.
  try {
    await authed.users.get(userId);
  } catch (e) {
    // A token we created for a refused sign-in must not stay valid on the homeserver. If the homeserver will not
    // log it out, the person is told, since a session named "Steward" is then left on their account.
    let leftBehind = "";
    if (!tokenProvided) {
      try {
        await authed.auth.logout();
      } catch (logoutError) {
        leftBehind = ` Steward could not close the session it opened on your account for this attempt. ${describeHomeserverError(logoutError)} Sign that session out from your Matrix client's list of sessions, where it is named "${STEWARD_DEVICE_NAME}".`;
      }
    }
    if (e instanceof HomeserverError && e.kind === "forbidden")
      return { ok: false, field: input.mode === "password" ? "username" : "accessToken", message: `${userId} is not a server admin on this homeserver. Only server admins can use Steward.${leftBehind}`, reason: "not_admin" };
    if (e instanceof HomeserverError && e.kind === "unrecognized")
      return {
        ok: false,
        field: "homeserver",
        message: "The homeserver's admin API (/_synapse/admin) is not reachable at this address. Make sure your reverse proxy forwards it to Steward.",
        reason: "no_admin_api",
      };
    return { ok: false, ...describe(e, url) };
  }

  let serverVersion: string | null = null;
  try {
    serverVersion = (await authed.server.serverVersion()).serverVersion;
  } catch {
    // The version is for display only; its absence must not block sign-in.
  }
  return { ok: true, userId, accessToken, deviceId, serverVersion, tokenProvided };
}

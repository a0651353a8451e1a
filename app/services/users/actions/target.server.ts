/** The account an action is about, as the homeserver (and under MAS, the authentication service) says it is now, and the backend that acts on it. */
import { eq } from "drizzle-orm";
import type { Db } from "../../../../db/client";
import { masSessionGrants } from "../../../../db/schema";
import type { HomeserverClient } from "../../../homeserver";
import { describeHomeserverError, isHomeserverError } from "../../../homeserver";
import { isMasAdminError, MasAdminError, type MasAdminOptions } from "../../../homeserver/mas/admin-http";
import { masSessions } from "../../../homeserver/mas/sessions";
import { masServerInfo } from "../../../homeserver/mas/server-info";
import { masUsers } from "../../../homeserver/mas/users";
import { detectAuthMode, type AuthSetting } from "../../auth/mode.server";
import type { BackendSession, UserActionsBackend } from "./backend";
import { masUserActions } from "./mas.server";
import type { ActionTarget, Actor } from "./rules";
import { synapseUserActions } from "./synapse.server";

/** Synapse's admin API: a classic homeserver's backend (and the bulk jobs', which act on Synapse devices). */
export function userActionsBackend(hs: HomeserverClient): UserActionsBackend {
  return synapseUserActions(hs);
}

export interface BackendChoice {
  hs: HomeserverClient;
  setting: AuthSetting;
  homeserverUrl: string;
  /** The admin's token: under MAS it carries `urn:mas:admin` as well as Synapse's admin scope (decision 015). */
  accessToken: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

const SITE_CONFIG_TTL_MS = 5 * 60_000;
const passwordLoginCache = new Map<string, { at: number; value: boolean }>();

/** Whether MAS has password sign-in (site-config, ≥ v1.3.0), remembered a few minutes; null when it did not say. */
async function passwordLogin(opts: MasAdminOptions, now = Date.now()): Promise<boolean | null> {
  const hit = passwordLoginCache.get(opts.baseUrl);
  if (hit && now - hit.at < SITE_CONFIG_TTL_MS) return hit.value;
  try {
    const value = await masServerInfo(opts).passwordLoginEnabled();
    if (value === null) return null;
    passwordLoginCache.set(opts.baseUrl, { at: now, value });
    return value;
  } catch {
    return null;
  }
}

export function forgetMasSiteConfig(): void {
  passwordLoginCache.clear();
}

/**
 * The backend for this deployment, by the detected auth mode (like masTokensApi): MAS's admin API, addressed
 * through the admin API base from the homeserver's auth metadata, when the homeserver delegates to MAS; else Synapse.
 * Never throws: when MAS's whereabouts are unknown, a backend that offers nothing and says why.
 */
export async function userActionsBackendFor(p: BackendChoice): Promise<UserActionsBackend> {
  const mode = await detectAuthMode(p.hs, p.setting, { cacheKey: p.homeserverUrl });
  if (mode.mode !== "mas") return synapseUserActions(p.hs);
  if (!mode.mas) return unavailableBackend(mode.problem ?? "The homeserver did not say where its authentication service is.");
  const opts: MasAdminOptions = { baseUrl: mode.mas.adminApiBase, accessToken: p.accessToken, timeoutMs: p.timeoutMs, fetch: p.fetch };
  return masUserActions({ users: masUsers(opts), sessions: masSessions(opts), hs: p.hs, passwordLogin: await passwordLogin(opts) });
}

/** Delegated to MAS, but MAS cannot be addressed: every action says why instead of acting on Synapse behind MAS's back. */
function unavailableBackend(reason: string): UserActionsBackend {
  const no = async (): Promise<never> => {
    throw new MasAdminError("unreachable", reason);
  };
  return {
    kind: "mas",
    supports: () => false,
    unsupportedReason: () => reason,
    sessions: no,
    account: no,
    signOutDevice: no,
    signOutDevices: no,
    signOutAll: no,
    lock: no,
    unlock: no,
    resetPassword: no,
    deactivate: no,
    reactivate: no,
    setAdmin: no,
    sendNotice: no,
  };
}

export type TargetLookup = { ok: true; target: ActionTarget } | { ok: false; status: number; error: string };

/**
 * `serverName` is the admin's own server: a user of any other server is remote and gets no action. Under MAS the
 * lock, deactivation, admin permission and guest flag come from MAS (Synapse's columns are not the truth there);
 * erasure is Synapse's.
 */
export async function loadActionTarget(hs: HomeserverClient, userId: string, serverName: string, backend?: UserActionsBackend): Promise<TargetLookup> {
  const local = userId.slice(userId.indexOf(":") + 1) === serverName;
  const service = backend?.kind ?? "synapse";
  if (!local) {
    return { ok: true, target: { userId, local: false, isGuest: false, deactivated: false, erased: false, locked: false, admin: false, service } };
  }
  try {
    const [u, kept] = await Promise.all([hs.users.get(userId), backend ? backend.account(userId) : Promise.resolve(null)]);
    const state = kept ?? { isGuest: u.isGuest, deactivated: u.deactivated, locked: u.locked, admin: u.admin };
    return { ok: true, target: { userId, local: true, erased: u.erased, ...state, service } };
  } catch (e) {
    if (e instanceof Response) throw e;
    if (isHomeserverError(e, "not_found")) return { ok: false, status: 404, error: `The homeserver has no user ${userId}.` };
    if (isHomeserverError(e, "unknown_token") || isHomeserverError(e, "missing_token")) throw e;
    if (isMasAdminError(e, "not_found")) return { ok: false, status: 404, error: masNoAccount(userId) };
    if (isMasAdminError(e)) return { ok: false, status: 502, error: e.message };
    return { ok: false, status: 502, error: describeHomeserverError(e) };
  }
}

export const masNoAccount = (userId: string) =>
  `The authentication service has no account ${userId}. Accounts that exist only in Synapse (such as an application service's users) are not managed there, so Steward cannot act on them.`;

/**
 * The signed-in admin as the rules see them. Under MAS, Steward's own sign-in is an OAuth 2.0 session of Steward's
 * client, with no Matrix device to compare: on the admin's own page every such session counts as Steward's own
 * (MAS does not say which of them holds this browser's token), so none can be signed out from here.
 */
export async function actorFor(
  db: Db,
  session: { idHash: string; userId: string; deviceId: string | null },
  pageUserId: string,
  sessions: Array<Pick<BackendSession, "key" | "kind" | "clientId" | "deviceId">> | null,
): Promise<Actor> {
  const actor: Actor = { userId: session.userId, deviceId: session.deviceId };
  if (pageUserId !== session.userId || !sessions) return actor;
  const [grant] = await db.select({ clientId: masSessionGrants.clientId }).from(masSessionGrants).where(eq(masSessionGrants.idHash, session.idHash));
  const own = sessions.filter((s) => (grant && s.kind === "oauth2" && s.clientId === grant.clientId) || (session.deviceId !== null && s.kind !== "device" && s.deviceId === session.deviceId));
  return { ...actor, ownSessions: own.map((s) => s.key) };
}

/** The backend for a signed-in admin's request (the routes' one line). */
export function userActionsBackendForAdmin(a: {
  hs: HomeserverClient;
  session: { accessToken: string };
  steward: { config: { homeserverAuth: AuthSetting; homeserverUrl: string; homeserverTimeoutMs: number } };
}): Promise<UserActionsBackend> {
  const c = a.steward.config;
  return userActionsBackendFor({ hs: a.hs, setting: c.homeserverAuth, homeserverUrl: c.homeserverUrl, accessToken: a.session.accessToken, timeoutMs: c.homeserverTimeoutMs });
}

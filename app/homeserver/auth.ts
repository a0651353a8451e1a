/** Client-server authentication: login flows, password login, whoami, logout (reference §5). */
import { z } from "zod";
import type { HomeserverHttp } from "./http";
import { boolOr, nullableNumber } from "./parse";

export interface LoginFlow {
  type: string;
  [key: string]: unknown;
}

export interface LoginResult {
  userId: string;
  accessToken: string;
  deviceId: string;
  /** Only when the server issues expiring tokens (refresh_token requested). */
  expiresInMs: number | null;
  refreshToken: string | null;
}

export interface WhoAmI {
  userId: string;
  isGuest: boolean;
  /** Absent for appservice tokens and tokens created by login-as-user. */
  deviceId?: string;
}

const flowsSchema = z.object({ flows: z.array(z.object({ type: z.string() }).passthrough()) });

const loginSchema = z
  .object({
    user_id: z.string(),
    access_token: z.string(),
    device_id: z.string(),
    expires_in_ms: nullableNumber,
    refresh_token: z.string().nullish(),
  })
  .transform(
    (r): LoginResult => ({
      userId: r.user_id,
      accessToken: r.access_token,
      deviceId: r.device_id,
      expiresInMs: r.expires_in_ms,
      refreshToken: r.refresh_token ?? null,
    }),
  );

const whoamiSchema = z
  .object({ user_id: z.string(), is_guest: boolOr(false), device_id: z.string().nullish() })
  .transform((r): WhoAmI => ({ userId: r.user_id, isGuest: r.is_guest, ...(r.device_id ? { deviceId: r.device_id } : {}) }));

export function authApi(http: HomeserverHttp) {
  return {
    /** GET /_matrix/client/v3/login (no auth). Under MAS delegation this is 404 unrecognized. */
    async loginFlows(): Promise<LoginFlow[]> {
      const r = await http.get("/_matrix/client/v3/login", { auth: false, parse: flowsSchema });
      return r.flows;
    },

    /**
     * POST /_matrix/client/v3/login with m.login.password. `user` is a localpart or a full @user:server
     * (Synapse accepts both in an m.id.user identifier). Wrong password, unknown user and deactivated user all
     * give 403 forbidden on 1.132; 401 user_locked since 1.134.
     */
    loginWithPassword(
      user: string,
      password: string,
      opts: { deviceDisplayName?: string; deviceId?: string } = {},
    ): Promise<LoginResult> {
      return http.post("/_matrix/client/v3/login", {
        auth: false,
        body: {
          type: "m.login.password",
          identifier: { type: "m.id.user", user },
          password,
          ...(opts.deviceId ? { device_id: opts.deviceId } : {}),
          ...(opts.deviceDisplayName ? { initial_device_display_name: opts.deviceDisplayName } : {}),
        },
        parse: loginSchema,
      });
    },

    /** GET /_matrix/client/v3/account/whoami: the cheapest token check. */
    whoami(): Promise<WhoAmI> {
      return http.get("/_matrix/client/v3/account/whoami", { parse: whoamiSchema });
    },

    /** POST /_matrix/client/v3/logout: revokes the current token (also login-as-user tokens). */
    async logout(): Promise<void> {
      // Retrying a logout is harmless (a second try just gets unknown_token), so mark it idempotent.
      await http.post("/_matrix/client/v3/logout", { body: {}, idempotent: true });
    },
  };
}

export type AuthApi = ReturnType<typeof authApi>;

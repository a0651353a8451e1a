/**
 * Public registration with a token (client API, no auth; reference §6). Steward drives the UIA steps itself,
 * so the primitive returns the 401 UIA body as data instead of throwing.
 */
import { z } from "zod";
import { isHomeserverError } from "./errors";
import type { HomeserverHttp } from "./http";
import { bool, nullableString } from "./parse";
import { availability, availableSchema, type UsernameAvailability } from "./users";

export interface RegisterRequest {
  username?: string;
  password?: string;
  /** The UIA stage dict, e.g. { type: "m.login.registration_token", token, session }. */
  auth?: { type: string; session?: string; [key: string]: unknown };
  initialDeviceDisplayName?: string;
  deviceId?: string;
  /** Ask the server not to log the new account in (no token comes back). */
  inhibitLogin?: boolean;
}

export interface UiaFlow {
  stages: string[];
}

export type RegisterStepResult =
  | {
      done: true;
      userId: string;
      /** null when inhibitLogin was requested. */
      accessToken: string | null;
      deviceId: string | null;
    }
  | {
      done: false;
      session: string;
      flows: UiaFlow[];
      completed: string[];
      params: Record<string, unknown>;
      /** The stage's error inside a 401 UIA body, e.g. M_UNAUTHORIZED "Invalid registration token". */
      error?: { errcode: string | null; message: string | null };
    };

const V1_VALIDITY = "/_matrix/client/v1/register/m.login.registration_token/validity";
// Synapse 1.42–1.52 only know the MSC3231 path.
const UNSTABLE_VALIDITY =
  "/_matrix/client/unstable/org.matrix.msc3231/register/org.matrix.msc3231.login.registration_token/validity";

const doneSchema = z
  .object({ user_id: z.string(), access_token: nullableString, device_id: nullableString })
  .transform((r) => ({ done: true as const, userId: r.user_id, accessToken: r.access_token, deviceId: r.device_id }));

const uiaSchema = z.object({
  session: z.string(),
  flows: z.array(z.object({ stages: z.array(z.string()) })),
  completed: z.array(z.string()).nullish(),
  params: z.record(z.unknown()).nullish(),
  errcode: z.string().nullish(),
  error: z.string().nullish(),
});

export function registerApi(http: HomeserverHttp) {
  return {
    /** Is this registration token usable for /register right now? (Does not touch `pending`.) */
    async tokenValidity(token: string): Promise<boolean> {
      const parse = z.object({ valid: bool });
      try {
        return (await http.get(V1_VALIDITY, { auth: false, query: { token }, parse })).valid;
      } catch (e) {
        if (!isHomeserverError(e, "unrecognized")) throw e;
        return (await http.get(UNSTABLE_VALIDITY, { auth: false, query: { token }, parse })).valid;
      }
    },

    /** GET /_matrix/client/v3/register/available (client API: 403 forbidden when registration is off). */
    usernameAvailable(username: string): Promise<UsernameAvailability> {
      return availability(() =>
        http.get("/_matrix/client/v3/register/available", { auth: false, query: { username }, parse: availableSchema }),
      );
    },

    /**
     * One POST /_matrix/client/v3/register. A 401 with a UIA body (session + flows) is returned as
     * `{ done: false, ... }`; everything else that fails (400 user_in_use, 403 registration off, 429, ...)
     * throws a HomeserverError. Not retried on 5xx: a repeat could create the account twice.
     */
    async registerStep(req: RegisterRequest): Promise<RegisterStepResult> {
      const body: Record<string, unknown> = {};
      if (req.username !== undefined) body.username = req.username;
      if (req.password !== undefined) body.password = req.password;
      if (req.auth !== undefined) body.auth = req.auth;
      if (req.initialDeviceDisplayName !== undefined) body.initial_device_display_name = req.initialDeviceDisplayName;
      if (req.deviceId !== undefined) body.device_id = req.deviceId;
      if (req.inhibitLogin !== undefined) body.inhibit_login = req.inhibitLogin;
      try {
        return await http.post("/_matrix/client/v3/register", { auth: false, body, parse: doneSchema });
      } catch (e) {
        if (!isHomeserverError(e) || e.status !== 401 || e.body === undefined) throw e;
        const uia = uiaSchema.safeParse(e.body);
        // A 401 without session/flows is not a UIA step: keep the typed error as it is.
        if (!uia.success) throw e;
        const r = uia.data;
        return {
          done: false,
          session: r.session,
          flows: r.flows,
          completed: r.completed ?? [],
          params: r.params ?? {},
          ...(r.errcode || r.error ? { error: { errcode: r.errcode ?? null, message: r.error ?? null } } : {}),
        };
      }
    },
  };
}

export type RegisterApi = ReturnType<typeof registerApi>;

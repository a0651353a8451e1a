/**
 * What a MAS says about itself through its admin API (mas-api.md §3.8): its version (`GET /version`, ≥ v1.4.0) and
 * its site configuration (`GET /site-config`, ≥ v1.3.0). Both need the `urn:mas:admin` token. A 404 means the MAS
 * is older than the endpoint (or the admin API is not mounted): that is an answer (null), not an error.
 */
import { isMasAdminError, masAdminHttp, type MasAdminOptions } from "./admin-http";

/** The part of MAS's site config that decides whether an invitee can register with a token. */
export interface MasRegistrationConfig {
  /** `passwords.enabled && account.password_registration_enabled`. */
  passwordRegistrationEnabled: boolean;
  /**
   * Whether a password registration asks for a registration token: `password_registration_token_required`
   * (≥ v1.19.0) or the deprecated `registration_token_required` (which also applies to password registrations).
   */
  tokenRequired: boolean;
  /** `password_registration_email_required`: the invitee gives an email address and confirms it with a code. */
  emailRequired: boolean;
}

export function masServerInfo(opts: MasAdminOptions) {
  const http = masAdminHttp(opts);
  const orNullOn404 = async <T>(f: () => Promise<T>): Promise<T | null> => {
    try {
      return await f();
    } catch (e) {
      if (isMasAdminError(e, "not_found")) return null;
      throw e;
    }
  };
  return {
    /** MAS's `git describe` string, e.g. "v1.22.0"; null when MAS is older than v1.4.0. */
    async version(): Promise<string | null> {
      return orNullOn404(async () => {
        const body = (await http.getJson("version", "reading the authentication service's version")) as { version?: unknown };
        return typeof body?.version === "string" ? body.version.slice(0, 100) : null;
      });
    },
    /** Whether MAS has password sign-in (`password_login_enabled`: set-password answers 403 without it); null before v1.3.0. */
    async passwordLoginEnabled(): Promise<boolean | null> {
      return orNullOn404(async () => {
        const c = (await http.getJson("site-config", "reading the authentication service's settings")) as Record<string, unknown>;
        return c?.password_login_enabled === true;
      });
    },
    /** null when MAS is older than v1.3.0. */
    async registrationConfig(): Promise<MasRegistrationConfig | null> {
      return orNullOn404(async () => {
        const c = (await http.getJson("site-config", "reading the authentication service's settings")) as Record<string, unknown>;
        return {
          passwordRegistrationEnabled: c?.password_registration_enabled === true,
          tokenRequired: c?.password_registration_token_required === true || c?.registration_token_required === true,
          emailRequired: c?.password_registration_email_required === true,
        };
      });
    },
  };
}

export type MasServerInfoApi = ReturnType<typeof masServerInfo>;

/**
 * The invitee's side: check an invite token, check a username, and register through the homeserver's
 * user-interactive auth (token stage under whichever name the server offers, then m.login.dummy). Every
 * homeserver failure becomes plain words for someone who has never heard of Matrix errors.
 */
import type { Config } from "../../config.server";
import { createHomeserverClient, type HomeserverClient, type RegisterStepResult } from "../../homeserver";
import { isHomeserverError } from "../../homeserver/errors";
import { TOKEN_MAX_LENGTH, TOKEN_PATTERN } from "./rules.server";
import { waitInWords } from "./types";
export { waitInWords } from "./types";

/** Per-IP limits held in the database (hitRateLimit), so they hold across replicas. */
export const PUBLIC_LIMITS = {
  view: { limit: 30, windowMs: 10 * 60_000 },
  submit: { limit: 10, windowMs: 10 * 60_000 },
  available: { limit: 60, windowMs: 10 * 60_000 },
} as const;

/** Stage names of the token stage: stable since Synapse 1.53, MSC3231 before. */
export const TOKEN_STAGES = ["m.login.registration_token", "org.matrix.msc3231.login.registration_token"];
const DUMMY = "m.login.dummy";

export const USERNAME_RULES =
  "Use lowercase letters a–z, digits 0–9 and = _ - . / + only; do not start with _ and do not use only digits.";

/**
 * An unauthenticated client for the public pages: a 429 is reported at once (never waited out while someone
 * looks at a spinner), and homeserver time still counts towards Server-Timing.
 */
export function publicHomeserver(config: Config, timing?: { hsMs: number }): HomeserverClient | null {
  if (!config.homeserverUrl) return null;
  return createHomeserverClient({
    baseUrl: config.homeserverUrl,
    timeoutMs: config.homeserverTimeoutMs,
    maxRetryWaitMs: 0,
    onRequest: (e) => {
      if (timing) timing.hsMs += e.durationMs;
    },
  });
}

/** The homeserver's server name per base URL, once known (it does not change while Steward runs). */
const serverNames = new Map<string, string>();

/**
 * The name of the server the invitee joins (the part after ":" in their future user ID), from the homeserver's own
 * signing-key document (`server_name`). null when it cannot be read now: the page then does without it.
 */
export async function homeserverName(hs: HomeserverClient, baseUrl: string): Promise<string | null> {
  const known = serverNames.get(baseUrl);
  if (known) return known;
  try {
    const p = await hs.discovery.serverKeys(baseUrl);
    if (p.outcome !== "ok") return null;
    serverNames.set(baseUrl, p.value.serverName);
    return p.value.serverName;
  } catch {
    return null;
  }
}

export type InviteStatus = "valid" | "invalid" | "unchecked" | "disabled" | "unavailable" | "down";

/**
 * Is this invite usable? A token that cannot be one (bad characters) is invalid without asking. A rate-limited
 * check is "unchecked": the form is shown and the registration's token stage decides.
 */
export async function checkInvite(hs: HomeserverClient, token: string): Promise<InviteStatus> {
  if (!token || token.length > TOKEN_MAX_LENGTH || !TOKEN_PATTERN.test(token)) return "invalid";
  try {
    return (await hs.register.tokenValidity(token)) ? "valid" : "invalid";
  } catch (e) {
    if (isHomeserverError(e, "rate_limited")) return "unchecked";
    if (isHomeserverError(e, "forbidden")) return "disabled";
    if (isHomeserverError(e, "unrecognized")) return "unavailable";
    return "down";
  }
}

/** Synapse's username rules, checked before asking (the server's answer still decides). */
export function checkUsernameLocally(username: string): string | null {
  if (!username) return "Choose a username.";
  if (username.length > 200) return "That username is too long.";
  if (!/^[a-z0-9=_\-./+]+$/.test(username)) return `That username is not allowed. ${USERNAME_RULES}`;
  if (username.startsWith("_")) return `A username may not start with _. ${USERNAME_RULES}`;
  if (/^\d+$/.test(username)) return `A username may not be only digits. ${USERNAME_RULES}`;
  return null;
}

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 512;
export const PASSWORD_HINT = `${PASSWORD_MIN} to ${PASSWORD_MAX} characters.`;

/** The password's size, in words for people (the homeserver judges its strength). */
export function checkPasswordSize(password: string): string | null {
  if (!password) return "Choose a password.";
  if (password.length < PASSWORD_MIN) return `This password is too short: use at least ${PASSWORD_MIN} characters (it has ${password.length}).`;
  if (password.length > PASSWORD_MAX) return `This password is too long: use at most ${PASSWORD_MAX} characters (it has ${password.length}).`;
  return null;
}

export type Availability = { available: true } | { available: false; message: string } | { available: null; message: string };

/** register/available in plain words; `available: null` = could not be checked now (the form still works). */
export async function usernameAvailability(hs: HomeserverClient, username: string): Promise<Availability> {
  const local = checkUsernameLocally(username);
  if (local) return { available: false, message: local };
  try {
    const r = await hs.register.usernameAvailable(username);
    if (r.available) return { available: true };
    if (r.reason === "in_use") return { available: false, message: "That username is already taken. Try another." };
    if (r.reason === "exclusive") return { available: false, message: "That username is reserved on this server. Try another." };
    return { available: false, message: `That username is not allowed. ${USERNAME_RULES}` };
  } catch (e) {
    return { available: null, message: describeRegistrationError(e).message };
  }
}

export type RegistrationProblem = {
  /** Where the message goes; "invite" means the token was refused: show the friendly invalid-invite page. */
  field: "username" | "password" | "form" | "invite";
  message: string;
  retryAfterMs?: number;
};

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** Every way a registration can fail, in plain words. By status + errcode only, never by the server's text. */
export function describeRegistrationError(e: unknown): RegistrationProblem {
  if (!isHomeserverError(e)) return { field: "form", message: "Something went wrong on our side. Please try again in a few minutes." };
  switch (e.kind) {
    case "user_in_use":
      return { field: "username", message: "That username is already taken. Try another." };
    case "invalid_username":
      return { field: "username", message: `That username is not allowed. ${USERNAME_RULES}` };
    case "forbidden":
      return { field: "form", message: "Registration is switched off on this server right now. Ask your admin about it." };
    case "rate_limited":
      return e.retryAfterMs !== undefined
        ? { field: "form", message: `Too many attempts right now. Please wait ${waitInWords(seconds(e.retryAfterMs))} and try again.`, retryAfterMs: e.retryAfterMs }
        : { field: "form", message: "Too many attempts right now. Please wait a minute and try again." };
    case "unrecognized":
      return { field: "form", message: "This server does not take sign-ups on this page (its accounts are managed elsewhere). Ask your admin." };
    case "server_error":
    case "timeout":
    case "unreachable":
    case "not_matrix":
    case "unexpected":
      return { field: "form", message: "The server is not answering right now. Your invite is still good: please try again in a few minutes." };
    default:
      if (e.errcode === "M_EXCLUSIVE") return { field: "username", message: "That username is reserved on this server. Try another." };
      if (e.errcode === "M_WEAK_PASSWORD") return { field: "password", message: "The server finds this password too weak. Choose a longer one, with a mix of words, digits and symbols." };
      return { field: "form", message: "The server did not accept the registration. Please try again; if it keeps failing, ask your admin." };
  }
}

/** The first flow made only of stages Steward can do (token, dummy), or null. */
export function chooseFlow(flows: { stages: string[] }[]): string[] | null {
  return flows.find((f) => f.stages.every((s) => s === DUMMY || TOKEN_STAGES.includes(s)))?.stages ?? null;
}

export type RegisterOutcome = { ok: true; userId: string } | { ok: false; problem: RegistrationProblem };

/**
 * Registers `username` with the invite `token`: the first POST returns the flows; each stage of the chosen flow
 * is then completed in order. `inhibit_login` asks for no access token; if one comes back anyway it is logged out
 * at once, so the new account has no session Steward would hold.
 */
export async function registerWithToken(
  hs: HomeserverClient,
  input: { username: string; password: string; token: string },
): Promise<RegisterOutcome> {
  const base = { username: input.username, password: input.password, inhibitLogin: true };
  let step: RegisterStepResult;
  try {
    step = await hs.register.registerStep(base);
    if (!step.done) {
      const flow = chooseFlow(step.flows);
      if (!flow) {
        const asked = step.flows.map((f) => f.stages.join(" → ")).join("; ");
        return { ok: false, problem: { field: "form", message: `This server asks for sign-up steps this page cannot do (${asked}). Ask your admin.` } };
      }
      for (const stage of flow) {
        if (step.done) break;
        if (step.completed.includes(stage)) continue;
        const isToken = TOKEN_STAGES.includes(stage);
        step = await hs.register.registerStep({
          ...base,
          auth: isToken ? { type: stage, token: input.token, session: step.session } : { type: stage, session: step.session },
        });
        if (step.done) break;
        if (step.error || !step.completed.includes(stage)) {
          if (isToken && step.error?.errcode === "M_UNAUTHORIZED") {
            return { ok: false, problem: { field: "invite", message: "The server did not accept this invite." } };
          }
          return { ok: false, problem: { field: "form", message: "The server did not accept a sign-up step. Please try again; if it keeps failing, ask your admin." } };
        }
      }
    }
  } catch (e) {
    return { ok: false, problem: describeRegistrationError(e) };
  }
  if (!step.done) {
    return { ok: false, problem: { field: "form", message: "The sign-up did not finish. Please try again." } };
  }
  if (step.accessToken) {
    // Best effort: the account exists either way, and the token would otherwise just sit unused.
    await hs.withToken(step.accessToken).auth.logout().catch(() => undefined);
  }
  return { ok: true, userId: step.userId };
}

/**
 * Invitations on a homeserver that delegates accounts to MAS (issue 16 item 5, decision 025). MAS hosts the
 * registration, and v1.22.0 cannot take the token from a link (mas-api.md §4.3), so the invite leads to MAS's
 * registration page and gives the token as an "invitation code" to paste when MAS asks for it, in steps a
 * non-technical friend can follow. Whether a link may carry the token instead is decided in one place,
 * mas-invite-rule.ts, from MAS's version.
 */
import type { AuthMetadata, HomeserverClient } from "../../homeserver";
import type { MasRegistrationToken } from "../../homeserver/mas/registration-tokens";
import type { MasRegistrationConfig, MasServerInfoApi } from "../../homeserver/mas/server-info";
import { detectAuthMode, type AuthSetting } from "../auth/mode.server";
import { dateTimeUtc } from "../format/time";
import { qrDataUrl } from "./invite.server";
import { masInviteStyle, type MasInviteStyle } from "./mas-invite-rule";

/**
 * MAS's registration page. Its pages live under its public base, and the authorization endpoint is
 * `<public base>/authorize`, so `register` beside it is right even when the issuer is not where MAS is served
 * (mas-api.md §1.4, §4.2). `/register` rather than `/register/password`: it also handles upstream providers, and
 * goes on to the password form by itself when that is the only way.
 */
export function masRegistrationPageUrl(meta: Pick<AuthMetadata, "issuer" | "authorizationEndpoint">): string {
  const base = meta.authorizationEndpoint ?? (meta.issuer.endsWith("/") ? meta.issuer : `${meta.issuer}/`);
  return new URL("register", base).toString();
}

const VERSION_TTL_MS = 10 * 60_000;
const versions = new Map<string, { at: number; version: string | null }>();

/**
 * MAS's version, remembered for a few minutes per MAS (it changes only with an upgrade). A failure to ask is not
 * remembered and reads as "unknown", which the rule answers with the paste flow (it works with every MAS).
 */
export async function masVersionOf(info: MasServerInfoApi, key: string, now = Date.now()): Promise<string | null> {
  const hit = versions.get(key);
  if (hit && now - hit.at < VERSION_TTL_MS) return hit.version;
  try {
    const version = await info.version();
    versions.set(key, { at: now, version });
    return version;
  } catch {
    return null;
  }
}

export function forgetMasVersions(): void {
  versions.clear();
}

export interface MasInvite {
  style: MasInviteStyle;
  /** The invitation code (the token text). */
  code: string;
  /** Where the invitee starts: MAS's registration page, or MAS's own invite link once MAS offers one. */
  link: string;
  qrDataUrl: string;
  /** The numbered steps, also inside the message. */
  steps: string[];
  message: string;
}

export interface MasInviteContext {
  registrationUrl: string;
  /** The homeserver's name (the part after ":" in a user ID). */
  serverName: string;
  /** MAS's version (`/api/admin/v1/version`), null when unknown. */
  version: string | null;
  /** MAS's registration settings, null when they could not be read (then no email step is promised). */
  config: MasRegistrationConfig | null;
}

/** The link MAS gave for this token, when the version rule allows it and it is a web address; else null. */
function tokenLink(t: Pick<MasRegistrationToken, "inviteUrl">, ctx: MasInviteContext): string | null {
  if (masInviteStyle(ctx.version) !== "link" || !t.inviteUrl) return null;
  try {
    const u = new URL(t.inviteUrl, ctx.registrationUrl);
    return u.protocol === "https:" || u.protocol === "http:" ? u.toString() : null;
  } catch {
    return null;
  }
}

export function masInviteSteps(p: { style: MasInviteStyle; link: string; code: string; emailRequired: boolean }): string[] {
  const steps = [`Open this link: ${p.link}`];
  steps.push(p.emailRequired ? "Choose a username and a password, and enter your email address." : "Choose a username and a password.");
  if (p.style === "paste") steps.push(`When you are asked for a registration token, paste this invitation code: ${p.code}`);
  if (p.emailRequired) steps.push("Check your email and enter the confirmation code it contains.");
  return steps;
}

function validity(t: { left: number | null; expiresAt: number | null }): string {
  const uses = t.left === null ? "" : t.left === 1 ? "for one account" : `for ${t.left.toLocaleString("en")} accounts`;
  const until = t.expiresAt === null ? "" : `until ${dateTimeUtc(t.expiresAt)}`;
  if (!uses && !until) return "";
  return `The invitation works ${[uses, until].filter(Boolean).join(", ")}.`;
}

export function masInviteMessage(p: {
  issuedFor: string | null;
  serverName: string;
  steps: string[];
  left: number | null;
  expiresAt: number | null;
}): string {
  const hello = p.issuedFor ? `Hi ${p.issuedFor},` : "Hi,";
  return [
    `${hello} here is your invitation to our Matrix chat server ${p.serverName}.`,
    p.steps.map((s, i) => `${i + 1}. ${s}`).join("\n"),
    `Then sign in with Element (https://app.element.io, or the Element app on your phone) with your new username and password. Your address will be @username:${p.serverName}. ${validity(p)}`.trim(),
  ].join("\n\n");
}

/** The invite of a MAS token that is valid now (the page shows none for a token nobody can register with). */
export async function buildMasInvite(
  t: Pick<MasRegistrationToken, "token" | "inviteUrl">,
  view: { issuedFor: string | null; left: number | null; expiresAt: number | null },
  ctx: MasInviteContext,
): Promise<MasInvite> {
  const carried = tokenLink(t, ctx);
  const style: MasInviteStyle = carried ? "link" : "paste";
  const link = carried ?? ctx.registrationUrl;
  const steps = masInviteSteps({ style, link, code: t.token, emailRequired: ctx.config?.emailRequired ?? false });
  return {
    style,
    code: t.token,
    link,
    qrDataUrl: await qrDataUrl(link),
    steps,
    message: masInviteMessage({ issuedFor: view.issuedFor, serverName: ctx.serverName, steps, left: view.left, expiresAt: view.expiresAt }),
  };
}

/**
 * For the public invite page: where invitees register when the homeserver delegates accounts to MAS, or null on
 * classic Synapse. `registrationUrl` is null when the homeserver says it delegates but not where to (the page then
 * asks the invitee to contact the admin). The mode is cached (services/auth/mode.server.ts), so a page view costs
 * no homeserver request most of the time.
 */
export async function masRegistrationFor(hs: HomeserverClient, setting: AuthSetting, homeserverUrl: string): Promise<{ registrationUrl: string | null } | null> {
  const mode = await detectAuthMode(hs, setting, { cacheKey: homeserverUrl });
  if (mode.mode !== "mas") return null;
  return { registrationUrl: mode.mas ? masRegistrationPageUrl(mode.mas) : null };
}

/** An invitation code from an old-style link (`/register?token=…`), if it looks like one; shown back to paste. */
export function codeFromLink(raw: string | null | undefined): string | null {
  const code = raw?.trim() ?? "";
  return /^[\x21-\x7e]{1,128}$/.test(code) ? code : null;
}

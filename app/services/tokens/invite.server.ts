/** What the admin sends to an invitee: the invite link, its QR code and a ready-to-send message. */
import QRCode from "qrcode";
import type { TokenView } from "./tokens.server";

export function inviteLink(publicBaseUrl: string, token: string): string {
  return `${publicBaseUrl.replace(/\/+$/, "")}/register?token=${encodeURIComponent(token)}`;
}

/** An SVG QR code as a data: URL (the CSP allows data: images; no inline markup needed). */
export async function qrDataUrl(text: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: "svg", margin: 1, errorCorrectionLevel: "M" });
  return `data:image/svg+xml;base64,${Buffer.from(svg, "utf8").toString("base64")}`;
}

function validity(t: Pick<TokenView, "usesAllowed" | "expiryTime">): string {
  const uses = t.usesAllowed === null ? "" : t.usesAllowed === 1 ? "It works once" : `It works ${t.usesAllowed} times`;
  const until = t.expiryTime === null ? "" : `until ${new Date(t.expiryTime).toUTCString().replace(/:\d\d GMT$/, " UTC")}`;
  if (uses && until) return `${uses}, ${until}.`;
  if (uses) return `${uses}.`;
  if (until) return `It works ${until}.`;
  return "";
}

export function inviteMessage(t: Pick<TokenView, "issuedFor" | "usesAllowed" | "expiryTime">, link: string, serverName: string): string {
  const hello = t.issuedFor ? `Hi ${t.issuedFor},` : "Hi,";
  return [
    `${hello} here is your invitation to our Matrix chat server ${serverName}:`,
    link,
    `Open the link, choose a username and a password, and then sign in with Element (https://app.element.io, or the Element app on your phone). ${validity(t)}`.trim(),
  ].join("\n\n");
}

export async function buildInvite(t: TokenView, publicBaseUrl: string, serverName: string) {
  const link = inviteLink(publicBaseUrl, t.token);
  return { token: t.token, link, qrDataUrl: await qrDataUrl(link), message: inviteMessage(t, link, serverName) };
}

/** The invite: token, link, QR code of the link, copy buttons and a ready-to-send message. */
import { CopyField } from "./CopyButton";

export interface InviteShareProps {
  token: string;
  link: string;
  /** `data:image/svg+xml;base64,…` rendered on the server (the CSP allows data: images). */
  qrDataUrl: string;
  message: string;
}

export function InviteShare({ token, link, qrDataUrl, message }: InviteShareProps) {
  return (
    <section className="panel" aria-labelledby="invite-heading">
      <h2 id="invite-heading">Invite</h2>
      <div style={{ display: "flex", gap: "1.5rem", flexWrap: "wrap", alignItems: "flex-start" }}>
        <div style={{ flex: "1 1 420px", minWidth: 0 }}>
          <CopyField id="invite-token" label="Token" value={token} copyLabel="Copy token" testId="issued-token" />
          <CopyField id="invite-link" label="Invite link" value={link} copyLabel="Copy link" testId="invite-link" />
          <CopyField id="invite-message" label="Message to send" value={message} copyLabel="Copy message" testId="invite-message" rows={6} />
        </div>
        <figure style={{ margin: 0, textAlign: "center" }}>
          <img src={qrDataUrl} alt={`QR code of the invite link ${link}`} width={200} height={200} data-testid="invite-qr" />
          <figcaption className="muted small">Scan to open the invite</figcaption>
        </figure>
      </div>
    </section>
  );
}

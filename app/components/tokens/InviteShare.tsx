/** The invite: token, link, QR code of the link, copy buttons and a ready-to-send message. */
import { CopyButton } from "./CopyButton";

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
          <div className="field">
            <label htmlFor="invite-token">Token</label>
            <input id="invite-token" type="text" readOnly value={token} className="mono" data-testid="issued-token" />
            <CopyButton text={token} label="Copy token" />
          </div>
          <div className="field">
            <label htmlFor="invite-link">Invite link</label>
            <input id="invite-link" type="text" readOnly value={link} className="mono" data-testid="invite-link" />
            <CopyButton text={link} label="Copy link" />
          </div>
          <div className="field">
            <label htmlFor="invite-message">Message to send</label>
            <textarea id="invite-message" readOnly rows={6} value={message} data-testid="invite-message" />
            <CopyButton text={message} label="Copy message" />
          </div>
        </div>
        <figure style={{ margin: 0, textAlign: "center" }}>
          <img src={qrDataUrl} alt={`QR code of the invite link ${link}`} width={200} height={200} data-testid="invite-qr" />
          <figcaption className="muted small">Scan to open the invite</figcaption>
        </figure>
      </div>
    </section>
  );
}

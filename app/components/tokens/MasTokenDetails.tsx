/**
 * A MAS registration token's page parts (decision 025): its state in MAS's own meaning, the invite with MAS's
 * registration steps, and the edit form. Presentational: the data comes from services/tokens/mas-token-page.server.ts.
 */
import { Form } from "@remix-run/react";
import { CsrfInput } from "~/components/CsrfInput";
import { Field } from "~/components/Field";
import { Time } from "~/components/Time";
import { ExpiryText } from "~/components/tokens/AbsoluteTime";
import { CopyField } from "~/components/tokens/CopyButton";
import { ExpiryFields } from "~/components/tokens/ExpiryFields";
import { MasStateBadge } from "~/components/tokens/MasTokens";
import { TokenRecordRows } from "~/components/tokens/TokenRecordRows";
import type { MasTokenView } from "~/services/tokens/mas-types";
import type { FieldErrors } from "~/services/tokens/types";

/** What the state means in MAS, in a sentence (not Synapse's meaning: limit 0 is never valid, revoke can be undone). */
export function MasStateSentence({ t }: { t: MasTokenView }) {
  switch (t.state) {
    case "valid":
      return <>People can register with it now. A use is counted when someone finishes registering.</>;
    case "never_valid":
      return <>Its usage limit is 0, so the authentication service never accepts it. Raise the limit below to let people register with it.</>;
    case "used_up":
      return <>{`Every use is taken: ${t.timesUsed === 1 ? "1 registration was" : `${t.timesUsed} registrations were`} completed with it. Raise the limit below to let more people register with it.`}</>;
    case "expired":
      return <>It has expired. Choose a later expiry below to let people register with it again.</>;
    case "revoked":
      return <>It is revoked: nobody can register with it. Restoring it makes it work again as before.</>;
  }
}

export function MasTokenFacts({ t }: { t: MasTokenView }) {
  return (
    <table className="panel" style={{ maxWidth: 760 }}>
      <tbody>
        <tr>
          <th>State</th>
          <td>
            <MasStateBadge state={t.state} /> <span className="small">{<MasStateSentence t={t} />}</span>
          </td>
        </tr>
        <tr>
          <th>Usage limit</th>
          <td data-testid="usage-limit">{t.usageLimit === null ? "no limit" : t.usageLimit === 0 ? "0 (never valid)" : t.usageLimit}</td>
        </tr>
        <tr>
          <th>Used</th>
          <td>
            <span data-testid="times-used">{t.timesUsed}</span> <span className="muted small">completed registrations</span>
            {t.left !== null ? <span className="muted small">{` · ${t.left} left`}</span> : null}
          </td>
        </tr>
        <tr>
          <th>Last used</th>
          <td data-testid="last-used">{t.lastUsedAt ? <Time value={t.lastUsedAt} /> : <span className="muted">never</span>}</td>
        </tr>
        <tr>
          <th>Expires</th>
          <td>
            <ExpiryText ms={t.expiresAt} state={t.state === "expired" ? "expired" : undefined} />
          </td>
        </tr>
        <TokenRecordRows issuedFor={t.issuedFor} note={t.note} />
        <tr>
          <th>Issued</th>
          <td>
            <Time value={t.createdAt} /> {t.issuedBy ? `by ${t.issuedBy}` : "outside Steward"}
          </td>
        </tr>
        {t.revokedAt ? (
          <tr>
            <th>Revoked</th>
            <td data-testid="revoked-at">
              <Time value={t.revokedAt} />
            </td>
          </tr>
        ) : null}
        <tr>
          <th>Used by</th>
          <td className="muted small">The authentication service does not record who registered with a token.</td>
        </tr>
      </tbody>
    </table>
  );
}

export interface MasInviteProps {
  style: "paste" | "link";
  code: string;
  link: string;
  qrDataUrl: string;
  steps: string[];
  message: string;
}

export function MasInviteShare({ style, code, link, qrDataUrl, steps, message }: MasInviteProps) {
  return (
    <section className="panel" aria-labelledby="invite-heading" data-testid="mas-invite">
      <h2 id="invite-heading">Invite</h2>
      <p className="muted small">
        {style === "paste"
          ? "People register on the authentication service's own page, which cannot take the code from a link: send the link and the code, and the invitee pastes the code when asked."
          : "This authentication service takes the code from its own invite link: the invitee only opens it."}
      </p>
      <div style={{ display: "flex", gap: "1.5rem", flexWrap: "wrap", alignItems: "flex-start" }}>
        <div style={{ flex: "1 1 420px", minWidth: 0 }}>
          <ol data-testid="invite-steps">
            {steps.map((s) => (
              <li key={s}>{s}</li>
            ))}
          </ol>
          <CopyField id="invite-code" label="Invitation code" value={code} copyLabel="Copy code" testId="issued-token" />
          <CopyField id="invite-link" label={style === "paste" ? "Registration page" : "Invite link"} value={link} copyLabel="Copy link" testId="invite-link" />
          <CopyField id="invite-message" label="Message to send" value={message} copyLabel="Copy message" testId="invite-message" rows={10} />
        </div>
        <figure style={{ margin: 0, textAlign: "center" }}>
          <img src={qrDataUrl} alt={`QR code of ${link}`} width={200} height={200} data-testid="invite-qr" />
          <figcaption className="muted small">{style === "paste" ? "Scan to open the registration page" : "Scan to open the invite"}</figcaption>
        </figure>
      </div>
    </section>
  );
}

export function MasTokenEditForm({ t, errors, values, busy }: { t: MasTokenView; errors: FieldErrors; values: Record<string, string>; busy: boolean }) {
  return (
    <section className="panel" style={{ maxWidth: 640 }}>
      <h2>Change</h2>
      {errors.form ? (
        <div className="alert error" role="alert" data-testid="edit-error">
          {errors.form}
        </div>
      ) : null}
      <Form method="post" noValidate>
        <CsrfInput />
        <input type="hidden" name="intent" value="edit" />
        <Field
          label="Usage limit"
          name="uses"
          type="text"
          inputMode="numeric"
          defaultValue={values.uses ?? (t.usageLimit === null ? "" : String(t.usageLimit))}
          error={errors.uses}
          hint={`How many registrations it may complete in total (${t.timesUsed} so far). Empty = no limit; 0 = nobody can register with it until you raise it.`}
        />
        <ExpiryFields defaultChoice={values.expires ?? "keep"} defaultAt={values.expiresAt ?? ""} errors={errors} allowKeep />
        <button type="submit" disabled={busy}>
          Save changes
        </button>
      </Form>
    </section>
  );
}

export function MasRevokeForm({ t, busy }: { t: MasTokenView; busy: boolean }) {
  const revoked = t.state === "revoked";
  return (
    <section className="panel" style={{ maxWidth: 640 }}>
      <h2>{revoked ? "Restore" : "Revoke"}</h2>
      <p className="muted small">
        {revoked
          ? "Restoring makes the token work again, with its usage limit and expiry as they are."
          : "Nobody can register with a revoked token. Accounts already created with it stay. You can restore it later."}
      </p>
      <Form method="post">
        <CsrfInput />
        <button type="submit" name="intent" value={revoked ? "unrevoke" : "revoke"} className={revoked ? "secondary" : "danger"} disabled={busy}>
          {revoked ? "Restore this token" : "Revoke this token"}
        </button>
      </Form>
    </section>
  );
}

/**
 * The tokens page on a homeserver that delegates to MAS: MAS's tokens with Steward's records, what differs from
 * Synapse's tokens, and revoke / restore (MAS can undo a revoke; it cannot delete).
 */
import { Form } from "@remix-run/react";
import { CsrfInput } from "~/components/CsrfInput";
import { ExpiryText } from "~/components/tokens/AbsoluteTime";
import { Time } from "~/components/Time";
import { MAS_STATE_LABELS, type MasTokenState, type MasTokenView } from "~/services/tokens/mas-types";
import { RowLink } from "~/components/client-nav";

const STATE_CLASS: Record<MasTokenState, string> = { valid: "ok", never_valid: "info", used_up: "info", expired: "warn", revoked: "bad" };

export function MasStateBadge({ state }: { state: MasTokenState }) {
  return (
    <span className={`badge ${STATE_CLASS[state]}`} data-testid="token-state">
      {MAS_STATE_LABELS[state]}
    </span>
  );
}

export function MasTokenNotice() {
  return (
    <div className="alert info" data-testid="mas-token-notice">
      This homeserver's accounts are run by the Matrix Authentication Service, so these tokens live there. They work a
      little differently from Synapse's: a limit of <strong>0 uses means the token never works</strong>; a use is counted
      only when someone <strong>finishes</strong> registering; a revoked token can be <strong>restored</strong>; tokens
      cannot be deleted; and the service does not say who used a token.
    </div>
  );
}

export function MasTokenTable({ rows }: { rows: MasTokenView[] }) {
  if (!rows.length) return <p className="muted">No tokens yet. Issue one to invite someone.</p>;
  return (
    <table data-testid="mas-tokens-table">
      <thead>
        <tr>
          <th>Token</th>
          <th>State</th>
          <th>For whom</th>
          <th className="num">Allowed</th>
          <th className="num">Used</th>
          <th className="num">Left</th>
          <th>Expires</th>
          <th>Last used</th>
          <th>Issued</th>
          <th>
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((t) => (
          <tr key={t.id} data-token={t.token}>
            <td>
              {/* Addressed by MAS's id: MAS has no lookup by text, and the id lets nobody register (decision 025). */}
              <RowLink to={`/tokens/mas/${encodeURIComponent(t.id)}`} className="mono">
                {t.token}
              </RowLink>
            </td>
            <td>
              <MasStateBadge state={t.state} />
            </td>
            <td>
              {t.issuedFor ?? <span className="muted">—</span>}
              {t.note ? <div className="muted small">{t.note}</div> : null}
            </td>
            <td className="num">{t.usageLimit ?? "unlimited"}</td>
            <td className="num" data-testid="times-used">
              {t.timesUsed}
            </td>
            <td className="num">{t.left ?? "—"}</td>
            <td>
              <ExpiryText ms={t.expiresAt} state={t.state === "revoked" || t.state === "expired" ? t.state : undefined} />
            </td>
            <td>{t.lastUsedAt ? <Time value={t.lastUsedAt} /> : <span className="muted">never</span>}</td>
            <td>
              <Time value={t.createdAt} />
              {t.issuedBy ? <div className="muted small">by {t.issuedBy}</div> : <div className="muted small">outside Steward</div>}
            </td>
            <td>
              <Form method="post">
                <CsrfInput />
                <input type="hidden" name="id" value={t.id} />
                {/* The token is in the button's name for screen readers; on screen the row already shows it, and a
                    long token made every row's button a two-line red block. */}
                {t.state === "revoked" ? (
                  <button type="submit" name="intent" value="unrevoke" className="secondary" aria-label={`Restore ${t.token}`}>
                    Restore
                  </button>
                ) : (
                  <button type="submit" name="intent" value="revoke" className="danger" aria-label={`Revoke ${t.token}`}>
                    Revoke
                  </button>
                )}
              </Form>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

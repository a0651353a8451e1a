/** One token: its invite (link, QR, message), edit uses and expiry, adopt, revoke (with a confirmation step). */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { CsrfInput } from "~/components/CsrfInput";
import { Field } from "~/components/Field";
import { StoredDataBanner } from "~/components/collectors/StoredDataBanner";
import { Time } from "~/components/Time";
import { ExpiryText } from "~/components/tokens/AbsoluteTime";
import { ExpiryFields } from "~/components/tokens/ExpiryFields";
import { InviteShare } from "~/components/tokens/InviteShare";
import { HazardBadge, IssuingBadge, OriginBadge, TokenStateBadge } from "~/components/tokens/TokenBadges";
import { TokenHistoryChart } from "~/components/tokens/TokenHistoryChart";
import { TokenRecordRows } from "~/components/tokens/TokenRecordRows";
import { describeHomeserverError, isHomeserverError } from "~/homeserver/errors";
import { readForm, requireAdmin, requireCsrf, withHomeserver } from "~/services/auth/guard.server";
import { buildInvite } from "~/services/tokens/invite.server";
import { parseAdoptForm, parseEditForm, type FieldErrors } from "~/services/tokens/rules.server";
import { tokenHistory } from "~/services/tokens/snapshots.server";
import { adoptToken, revokeToken, TOKENS_UNAVAILABLE, updateToken } from "~/services/tokens/tokens.server";
import { getTokenOrStored } from "~/services/tokens/stored.server";
import { checkedParam, isTokenName } from "~/services/routing/params";
import { tokenUsedBy } from "~/services/tokens/used-by.server";
import { UsedByList } from "~/components/tokens/UsedByList";
import { prefetchedLoader } from "~/components/prefetch-data";

export const meta: MetaFunction<typeof loader> = ({ params }) => [{ title: `Token ${params.token ?? ""} · Steward` }];

export async function loader(args: LoaderFunctionArgs) {
  const token = checkedParam(args.params.token, isTokenName, "registration token");
  const admin = await requireAdmin(args);
  const deps = { db: admin.steward.db, hs: admin.hs };
  try {
    // Live from the homeserver; while it is unavailable, Steward's record with the reason (`stored`).
    const { view, stored } = await withHomeserver(admin, args, () => getTokenOrStored(deps, token));
    if (!view) throw new Response("No such registration token.", { status: 404 });
    const serverName = admin.session.userId.slice(admin.session.userId.indexOf(":") + 1);
    // The invite only for a token known to be usable now, not one that was usable at the last sync.
    const invite = view.onHomeserver && !stored ? await buildInvite(view, admin.steward.config.publicBaseUrl, serverName) : null;
    const history = await tokenHistory(admin.steward.db, token, new Date());
    const usedBy = await tokenUsedBy(admin.steward.db, view.token, view.createdAt, view.completed);
    return json({ ok: true as const, token: view, invite, history, stored, usedBy }, { headers: { "Cache-Control": "no-store" } });
  } catch (e) {
    if (e instanceof Response) throw e;
    const error = isHomeserverError(e, "unrecognized") ? TOKENS_UNAVAILABLE : describeHomeserverError(e);
    return json({ ok: false as const, error }, { headers: { "Cache-Control": "no-store" } });
  }
}

export async function action(args: ActionFunctionArgs) {
  const token = checkedParam(args.params.token, isTokenName, "registration token");
  const admin = await requireAdmin(args);
  const form = await readForm(args.request);
  requireCsrf(args.request, admin.session, form);
  const intent = String(form.get("intent") ?? "");
  const values = Object.fromEntries([...form.entries()].filter(([k, v]) => k !== "csrf" && typeof v === "string")) as Record<string, string>;
  const deps = { db: admin.steward.db, hs: admin.hs, requestId: admin.requestId };
  const actor = admin.session.userId;
  const here = `/tokens/${encodeURIComponent(token)}`;
  if (intent === "revoke") {
    const r = await withHomeserver(admin, args, () => revokeToken(deps, token, actor));
    if (!r.ok) return json({ intent, errors: r.errors, values }, { status: 400 });
    return redirect(`${here}?revoked=1`);
  }
  if (intent === "edit") {
    const parsed = parseEditForm(values, Date.now());
    if (!parsed.ok) return json({ intent, errors: parsed.errors, values }, { status: 400 });
    const r = await withHomeserver(admin, args, () => updateToken(deps, token, parsed.value, actor));
    if (!r.ok) return json({ intent, errors: r.errors, values }, { status: 400 });
    return redirect(`${here}?saved=1`);
  }
  if (intent === "adopt") {
    const parsed = parseAdoptForm(values);
    if (!parsed.ok) return json({ intent, errors: parsed.errors, values }, { status: 400 });
    const r = await withHomeserver(admin, args, () => adoptToken(deps, token, parsed.value, actor));
    if (!r.ok) return json({ intent, errors: r.errors, values }, { status: 400 });
    return redirect(`${here}?adopted=1`);
  }
  return json({ intent, errors: { form: "Unknown action." } as FieldErrors, values }, { status: 400 });
}

const NOTICES: Record<string, string> = {
  repeated: "This form had already issued this token, so no second token was made. Send the invite below.",
  issued: "Token issued. Send the invite below to the person you are inviting.",
  saved: "Changes saved.",
  adopted: "Token adopted: Steward now records who it is for.",
  revoked: "Token revoked: it was deleted on the homeserver and can no longer be used to register.",
};

/** Takes the answer asked for while the pointer rested on a link here (decision 028). */
export const clientLoader = prefetchedLoader;

export default function TokenPage() {
  const data = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const confirmRef = useRef<HTMLDivElement>(null);
  const confirmingNow = params.get("confirm") === "revoke" || actionData?.intent === "revoke";
  // The confirmation appears where the Revoke button was, at the bottom of a long page: bring it into view.
  useEffect(() => {
    if (!confirmingNow || !confirmRef.current) return;
    confirmRef.current.scrollIntoView({ block: "center" });
    confirmRef.current.focus({ preventScroll: true });
  }, [confirmingNow, actionData]);
  if (!data.ok) {
    return (
      <>
        <p className="small">
          <Link to="/tokens">← Tokens</Link>
        </p>
        <div className="alert error" role="alert">
          {data.error}
        </div>
      </>
    );
  }
  const t = data.token;
  const errors: FieldErrors = actionData?.errors ?? {};
  const v: Record<string, string> = actionData?.values ?? {};
  const formFor = (intent: string) => (actionData?.intent === intent ? errors : {});
  const notice = Object.keys(NOTICES).find((k) => params.get(k) === "1");
  const confirming = params.get("confirm") === "revoke" || (actionData?.intent === "revoke" && Boolean(errors.form));
  const busy = navigation.state === "submitting";
  const here = `/tokens/${encodeURIComponent(t.token)}`;
  return (
    <>
      <p className="small">
        <Link to="/tokens">← Tokens</Link>
      </p>
      <h1>
        Token <code data-testid="token-name">{t.token}</code> {t.issuing ? <IssuingBadge /> : <TokenStateBadge state={t.state} />}{" "}
        <OriginBadge origin={t.origin} onHomeserver={t.onHomeserver} />{" "}
        {t.hazard ? <HazardBadge /> : null}
        {t.asOf !== null ? (
          <span className="muted small" data-testid="as-of">
            {" "}
            as of <Time value={t.asOf} />
          </span>
        ) : null}
      </h1>
      {data.stored ? <StoredDataBanner what="record of this token" reason={data.stored.reason} syncedAt={data.stored.syncedAt} /> : null}
      {notice ? (
        <div className="alert ok" role="status">
          {NOTICES[notice]}
        </div>
      ) : null}
      {params.get("warning") === "record" ? (
        <div className="alert warn" role="alert">
          The token was created on the homeserver, but Steward could not confirm its record yet. Who it is for is saved; Steward confirms the
          record by itself within a few minutes.
        </div>
      ) : null}
      {errors.form && actionData?.intent !== "revoke" ? (
        <div className="alert error" role="alert">
          {errors.form}
        </div>
      ) : null}

      <div className="cards">
        <div className="card">
          <div className="label">Uses allowed</div>
          <div className="value">{t.usesAllowed ?? "unlimited"}</div>
        </div>
        <div className="card">
          <div className="label">Pending</div>
          <div className="value">{t.pending}</div>
          <div className="delta">sign-ups in progress (hold a use for up to 48 h)</div>
        </div>
        <div className="card">
          <div className="label">Completed</div>
          <div className="value" data-testid="token-completed">
            {t.completed}
          </div>
        </div>
        <div className="card">
          <div className="label">Left</div>
          <div className="value" data-testid="token-left">{t.left ?? "unlimited"}</div>
        </div>
      </div>
      <table className="panel" style={{ maxWidth: 760 }}>
        <tbody>
          <TokenRecordRows issuedFor={t.issuedFor} note={t.note} />
          <tr>
            <th>Expires</th>
            <td>
              <ExpiryText ms={t.expiryTime} state={t.state} />
            </td>
          </tr>
          <tr>
            <th>Issued</th>
            <td>
              {t.issuedBy ? (
                <>
                  <Time value={t.createdAt} /> {`by ${t.issuedBy}`}
                </>
              ) : (
                <>
                  outside Steward (Steward first listed it <Time value={t.createdAt} />)
                </>
              )}
              {t.adoptedBy ? ` · adopted by ${t.adoptedBy}` : ""}
            </td>
          </tr>
          <tr>
            <th>Used by</th>
            <td data-testid="used-by">
              <UsedByList {...data.usedBy} />
            </td>
          </tr>
          {t.revokedAt ? (
            <tr>
              <th>Revoked</th>
              <td data-testid="revoked-by">
                <Time value={t.revokedAt} /> by {t.revokedBy}
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>

      {data.invite && t.state === "valid" ? <InviteShare {...data.invite} /> : null}

      {t.onHomeserver ? (
        <>
          {t.origin === "outside" ? (
            <section className="panel" style={{ maxWidth: 640 }}>
              <h2>Adopt this token</h2>
              <p className="muted small">It was created outside Steward. Record who it is for, so it is tracked like the others.</p>
              <Form method="post" noValidate>
                <CsrfInput />
                <input type="hidden" name="intent" value="adopt" />
                <Field label="For whom" name="issuedFor" defaultValue={v.issuedFor ?? ""} error={formFor("adopt").issuedFor} id="adopt-issuedFor" maxLength={200} />
                <Field label="Note" name="note" defaultValue={v.note ?? ""} error={formFor("adopt").note} id="adopt-note" maxLength={1000} />
                <button type="submit" disabled={busy}>
                  Adopt
                </button>
              </Form>
            </section>
          ) : null}

          <section className="panel" style={{ maxWidth: 640 }}>
            <h2>Change</h2>
            <Form method="post" noValidate>
              <CsrfInput />
              <input type="hidden" name="intent" value="edit" />
              <Field
                label="Uses"
                name="uses"
                type="text"
            inputMode="numeric"
                defaultValue={v.uses ?? (t.usesAllowed === null || t.usesAllowed === 0 ? "" : String(t.usesAllowed))}
                error={formFor("edit").uses}
                hint="Total accounts it may create (completed ones included). Empty = unlimited."
              />
              <ExpiryFields defaultChoice={v.expires ?? "keep"} defaultAt={v.expiresAt ?? ""} errors={formFor("edit")} allowKeep />
              <button type="submit" disabled={busy}>
                Save changes
              </button>
            </Form>
          </section>

          <section className="panel" style={{ maxWidth: 640 }}>
            <h2>Revoke</h2>
            {confirming ? (
              <div className="alert warn" role="alert" id="revoke-confirm" tabIndex={-1} ref={confirmRef}>
                {actionData?.intent === "revoke" && errors.form ? <p>{errors.form}</p> : null}
                <p>
                  Revoke <code>{t.token}</code>? It is deleted on the homeserver: its invite link stops working at once. Accounts already created
                  with it stay.
                </p>
                <Form method="post" action={`${here}#revoke-confirm`} style={{ display: "inline" }}>
                  <CsrfInput />
                  <input type="hidden" name="intent" value="revoke" />
                  <button type="submit" className="danger" disabled={busy}>
                    Yes, revoke this token
                  </button>
                </Form>{" "}
                <Link to={`/tokens/${encodeURIComponent(t.token)}`}>Cancel</Link>
              </div>
            ) : (
              // The fragment brings the confirmation into view without JavaScript; with it, the effect above does.
              <Form method="get" action={`${here}#revoke-confirm`} preventScrollReset>
                <input type="hidden" name="confirm" value="revoke" />
                <button type="submit" className="danger">
                  Revoke
                </button>
              </Form>
            )}
          </section>
        </>
      ) : null}

      {data.history.length ? (
        <>
          <TokenHistoryChart history={data.history} />
          <details className="panel" style={{ maxWidth: 640 }}>
            <summary>Daily readings</summary>
            <table>
              <thead>
                <tr>
                  <th>Day (UTC)</th>
                  <th className="num">Completed (total)</th>
                  <th className="num">Pending</th>
                </tr>
              </thead>
              <tbody>
                {data.history.map((h) => (
                  <tr key={h.day}>
                    <td>{h.day}</td>
                    <td className="num">{h.completed}</td>
                    <td className="num">{h.pending}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      ) : null}
    </>
  );
}

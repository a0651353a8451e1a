/** Registration tokens: every token on the homeserver joined with Steward's record; filter, search, revoke hazards. */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { CsrfInput } from "~/components/CsrfInput";
import { Pager } from "~/components/Pager";
import { StoredDataBanner } from "~/components/collectors/StoredDataBanner";
import { Time } from "~/components/Time";
import { ExpiryText } from "~/components/tokens/AbsoluteTime";
import { UsedByCount } from "~/components/tokens/UsedByList";
import { HazardBadge, IssuingBadge, OriginBadge, TokenStateBadge } from "~/components/tokens/TokenBadges";
import { describeHomeserverError, isHomeserverError } from "~/homeserver/errors";
import { MasTokenNotice, MasTokenTable } from "~/components/tokens/MasTokens";
import { readForm, requireAdmin, requireCsrf, withHomeserver, type AdminRequest } from "~/services/auth/guard.server";
import { listMasTokens, masTokensApi, setMasTokenRevoked } from "~/services/tokens/mas-tokens.server";
import { isMasAdminError } from "~/homeserver/mas/admin-http";
import { filterTokens, TOKENS_UNAVAILABLE } from "~/services/tokens/tokens.server";
import { listTokensOrStored } from "~/services/tokens/stored.server";
import { usedByCounts } from "~/services/tokens/used-by.server";
import { RowLink } from "~/components/client-nav";
import { prefetchedLoader } from "~/components/prefetch-data";

export const meta: MetaFunction = () => [{ title: "Tokens · Steward" }];

const PAGE_SIZE = 50;
// Built per request, not at the top level, so zod stays out of the page's browser scripts (decision 038).
const querySchema = () =>
  z.object({
    state: z.enum(["valid", "expired", "used_up", "revoked", "hazard", "outside"]).optional().catch(undefined),
    q: z.string().max(200).optional().catch(undefined),
    page: z.coerce.number().int().min(1).max(100_000).catch(1),
  });

/** MAS's token client when the homeserver delegates to MAS (decision 023), else null (classic Synapse). */
const masApi = (admin: AdminRequest) =>
  masTokensApi({
    hs: admin.hs,
    setting: admin.steward.config.homeserverAuth,
    homeserverUrl: admin.steward.config.homeserverUrl,
    accessToken: admin.session.accessToken,
    timeoutMs: admin.steward.config.homeserverTimeoutMs,
  });

export async function loader(args: LoaderFunctionArgs) {
  const admin = await requireAdmin(args);
  const query = querySchema().parse(Object.fromEntries(new URL(args.request.url).searchParams));
  const url = new URL(args.request.url);
  const kind = (["issued", "revoked", "restored"] as const).find((k) => url.searchParams.has(k));
  const done = kind ? `${{ issued: "Issued", revoked: "Revoked", restored: "Restored" }[kind]} ${(url.searchParams.get(kind) ?? "").slice(0, 200)}.` : null;
  try {
    const mas = await withHomeserver(admin, args, () => masApi(admin));
    if (mas) {
      const masRows = await listMasTokens(admin.steward.db, mas);
      return json({ ok: true as const, masRows, done }, { headers: { "Cache-Control": "no-store" } });
    }
  } catch (e) {
    if (e instanceof Response) throw e;
    const error = isMasAdminError(e) || e instanceof Error ? e.message : String(e);
    return json({ ok: false as const, error, query }, { headers: { "Cache-Control": "no-store" } });
  }
  try {
    // Live from the homeserver; while it is unavailable, Steward's records with the reason (`stored`).
    const { rows: all, stored } = await withHomeserver(admin, args, () => listTokensOrStored({ db: admin.steward.db, hs: admin.hs }));
    const rows = filterTokens(all, query);
    const hazards = all.filter((t) => t.hazard);
    const page = rows.slice((query.page - 1) * PAGE_SIZE, query.page * PAGE_SIZE);
    const usedBy = await usedByCounts(admin.steward.db, page);
    return json({ ok: true as const, rows: page, total: rows.length, all: all.length, hazards, query, stored, usedBy }, { headers: { "Cache-Control": "no-store" } });
  } catch (e) {
    if (e instanceof Response) throw e;
    const error = isHomeserverError(e, "unrecognized") ? TOKENS_UNAVAILABLE : describeHomeserverError(e);
    return json({ ok: false as const, error, query }, { headers: { "Cache-Control": "no-store" } });
  }
}

/** Under MAS only: revoke or restore a token from the list (classic Synapse revokes on the token's own page). */
export async function action(args: ActionFunctionArgs) {
  const admin = await requireAdmin(args);
  const form = await readForm(args.request);
  requireCsrf(args.request, admin.session, form);
  const intent = String(form.get("intent") ?? "");
  const id = String(form.get("id") ?? "");
  if ((intent !== "revoke" && intent !== "unrevoke") || !/^[0-9A-Z]{26}$/.test(id)) return json({ error: "Steward did not understand that request." }, { status: 400 });
  const mas = await withHomeserver(admin, args, () => masApi(admin));
  if (!mas) return json({ error: "This homeserver manages its own tokens: revoke a token on its page." }, { status: 400 });
  const r = await setMasTokenRevoked(admin.steward.db, mas, { id, revoke: intent === "revoke", actor: admin.session.userId, requestId: admin.requestId });
  if (!r.ok) return json({ error: r.error }, { status: 400 });
  return redirect(`/tokens?${intent === "revoke" ? "revoked" : "restored"}=${encodeURIComponent(r.token)}`);
}

const FILTERS: [string, string][] = [
  ["", "All"],
  ["valid", "Valid"],
  ["used_up", "Used up"],
  ["expired", "Expired"],
  ["revoked", "Revoked"],
  ["outside", "Created outside Steward"],
  ["hazard", "Hazards"],
];

/** Takes the answer asked for while the pointer rested on a link here (decision 028). */
export const clientLoader = prefetchedLoader;

export default function TokensPage() {
  const data = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>();
  if (data.ok && "masRows" in data) {
    return (
      <>
        <div style={{ display: "flex", justifyContent: "space-between", alignItems: "center", gap: "1rem", flexWrap: "wrap" }}>
          <h1>Registration tokens</h1>
          <Link to="/tokens/new" className="button">
            Issue a token
          </Link>
        </div>
        <MasTokenNotice />
        {acted?.error ? (
          <div className="alert error" role="alert" data-testid="tokens-error">
            {acted.error}
          </div>
        ) : null}
        {data.done ? (
          <div className="alert ok" role="status">
            {data.done}
          </div>
        ) : null}
        <MasTokenTable rows={data.masRows} />
      </>
    );
  }
  return (
    <>
      <div style={{ display: "flex", justifyContent: "space-between", alignItems: "center", gap: "1rem", flexWrap: "wrap" }}>
        <h1>Registration tokens</h1>
        <Link to="/tokens/new" className="button">
          Issue a token
        </Link>
      </div>
      {!data.ok ? (
        <div className="alert error" role="alert" data-testid="tokens-error">
          {data.error}
        </div>
      ) : (
        <>
          {data.stored ? <StoredDataBanner what="token records" reason={data.stored.reason} syncedAt={data.stored.syncedAt} /> : null}
          {data.hazards.map((t) => (
            <div key={t.token} className="alert error" role="alert">
              <strong>
                Token <code>{t.token}</code> has 0 uses allowed
              </strong>{" "}
              {data.stored ? " (as of the last sync)" : ""} — Synapse lists it as invalid, yet still lets people register with it. Revoke it to really
              stop it.
              <Form method="post" action={`/tokens/${encodeURIComponent(t.token)}`} style={{ display: "inline", marginLeft: ".5rem" }}>
                <CsrfInput />
                <input type="hidden" name="intent" value="revoke" />
                <button type="submit" className="danger">
                  {`Revoke ${t.token} now`}
                </button>
              </Form>
            </div>
          ))}
          <Form method="get" className="toolbar" role="search">
            <div className="field">
              <label htmlFor="f-q">Search</label>
              <input id="f-q" type="search" name="q" defaultValue={data.query.q ?? ""} placeholder="token, recipient or note" />
            </div>
            <div className="field">
              <label htmlFor="f-state">State</label>
              <select id="f-state" name="state" defaultValue={data.query.state ?? ""}>
                {FILTERS.map(([v, l]) => (
                  <option key={v} value={v}>
                    {l}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit" className="secondary">
              Show
            </button>
          </Form>
          {data.rows.length === 0 ? (
            <p className="muted">{data.all === 0 ? "No tokens yet. Issue one to invite someone." : "No token matches."}</p>
          ) : (
            <table data-testid="tokens-table">
              <thead>
                <tr>
                  <th>Token</th>
                  <th>State</th>
                  <th>For whom</th>
                  <th className="num">Allowed</th>
                  <th className="num">Pending</th>
                  <th className="num">Completed</th>
                  <th className="num">Left</th>
                  <th>Expires</th>
                  <th>Issued</th>
                </tr>
              </thead>
              <tbody>
                {data.rows.map((t) => (
                  <tr key={t.token} data-token={t.token}>
                    <td>
                      <RowLink to={`/tokens/${encodeURIComponent(t.token)}`} className="mono">
                        {t.token}
                      </RowLink>{" "}
                      <OriginBadge origin={t.origin} onHomeserver={t.onHomeserver} /> {t.hazard ? <HazardBadge /> : null}
                    </td>
                    <td>
                      {t.issuing ? <IssuingBadge /> : <TokenStateBadge state={t.state} />}
                      {t.asOf !== null ? (
                        <div className="muted small" data-testid="as-of">
                          as of <Time value={t.asOf} />
                        </div>
                      ) : null}
                    </td>
                    <td>
                      {t.issuedFor ? <bdi>{t.issuedFor}</bdi> : <span className="muted">—</span>}
                      {t.note ? (
                        <div className="muted small">
                          <bdi>{t.note}</bdi>
                        </div>
                      ) : null}
                    </td>
                    <td className="num">{t.usesAllowed ?? "unlimited"}</td>
                    <td className="num">{t.pending}</td>
                    <td className="num">
                      <span data-testid="completed">{t.completed}</span>
                      <UsedByCount named={data.usedBy[t.token] ?? 0} completed={t.completed} />
                    </td>
                    <td className="num">{t.left ?? "unlimited"}</td>
                    <td>
                      <ExpiryText ms={t.expiryTime} state={t.state} />
                    </td>
                    <td className="small">
                      {t.issuedBy ? (
                        <>
                          <Time value={t.createdAt} />
                          <div className="muted">{t.issuedBy}</div>
                        </>
                      ) : (
                        // Synapse does not say when a token was made: the time is when Steward first listed it.
                        <>
                          outside Steward
                          <div className="muted" data-testid="first-seen">
                            first seen <Time value={t.createdAt} />
                          </div>
                        </>
                      )}
                      {t.revokedAt ? (
                        <div className="muted">
                          revoked by {t.revokedBy} <Time value={t.revokedAt} />
                        </div>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <Pager page={data.query.page} pageSize={PAGE_SIZE} total={data.total} />
        </>
      )}
    </>
  );
}

/**
 * One registration token of the authentication service (MAS) the homeserver delegates to: state in MAS's meaning,
 * Steward's record, the invite with MAS's registration steps, edit, revoke / restore. Addressed by MAS's id, not
 * the token's text (decision 025). On classic Synapse tokens have their page at /tokens/<text>; this one is a 404.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { MasInviteShare, MasRevokeForm, MasTokenEditForm, MasTokenFacts } from "~/components/tokens/MasTokenDetails";
import { MasTokenNotice } from "~/components/tokens/MasTokens";
import { isMasAdminError } from "~/homeserver/mas/admin-http";
import { readForm, requireAdmin, requireCsrf, withHomeserver, type AdminRequest } from "~/services/auth/guard.server";
import { checkedParam, isMasTokenId, serverOfUserId } from "~/services/routing/params";
import { loadMasTokenPage, parseMasEditForm, updateMasToken } from "~/services/tokens/mas-token-page.server";
import { masTokenApis, setMasTokenRevoked } from "~/services/tokens/mas-tokens.server";
import type { FieldErrors } from "~/services/tokens/types";
import { prefetchedLoader } from "~/components/prefetch-data";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Token ${data && data.ok ? data.page.token.token : ""} · Steward` }];

const NOT_MAS = "This homeserver keeps its own registration tokens: open them from the tokens page.";

/** MAS's clients for this admin; a 404 on classic Synapse (the page cannot exist there). */
async function apisFor(admin: AdminRequest, args: LoaderFunctionArgs) {
  const cfg = admin.steward.config;
  const apis = await withHomeserver(admin, args, () =>
    masTokenApis({ hs: admin.hs, setting: cfg.homeserverAuth, homeserverUrl: cfg.homeserverUrl, accessToken: admin.session.accessToken, timeoutMs: cfg.homeserverTimeoutMs }),
  );
  if (!apis) throw new Response(NOT_MAS, { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  return apis;
}

const failure = (e: unknown) => {
  if (e instanceof Response) throw e;
  return isMasAdminError(e) || e instanceof Error ? e.message : String(e);
};

export async function loader(args: LoaderFunctionArgs) {
  const id = checkedParam(args.params.tokenId, isMasTokenId, "registration token");
  const admin = await requireAdmin(args);
  const headers = { "Cache-Control": "no-store" };
  try {
    const apis = await apisFor(admin, args);
    const page = await loadMasTokenPage(admin.steward.db, apis, id, { serverName: serverOfUserId(admin.session.userId) });
    if ("notFound" in page) throw new Response("The authentication service has no registration token with this id.", { status: 404 });
    return json({ ok: true as const, page }, { headers });
  } catch (e) {
    return json({ ok: false as const, error: failure(e) }, { headers });
  }
}

export async function action(args: ActionFunctionArgs) {
  const id = checkedParam(args.params.tokenId, isMasTokenId, "registration token");
  const admin = await requireAdmin(args);
  const form = await readForm(args.request);
  requireCsrf(args.request, admin.session, form);
  const intent = String(form.get("intent") ?? "");
  const values = Object.fromEntries([...form.entries()].filter(([k, v]) => k !== "csrf" && typeof v === "string")) as Record<string, string>;
  const here = `/tokens/mas/${encodeURIComponent(id)}`;
  const refuse = (errors: FieldErrors) => json({ intent, errors, values }, { status: 400 });
  let apis;
  try {
    apis = await apisFor(admin, args);
  } catch (e) {
    return refuse({ form: failure(e) });
  }
  const actor = admin.session.userId;
  if (intent === "edit") {
    const parsed = parseMasEditForm(values, Date.now());
    if (!parsed.ok) return refuse(parsed.errors);
    const r = await updateMasToken(admin.steward.db, apis, { id, input: parsed.value, actor, requestId: admin.requestId });
    return r.ok ? redirect(`${here}?saved=1`) : refuse(r.errors);
  }
  if (intent === "revoke" || intent === "unrevoke") {
    const r = await setMasTokenRevoked(admin.steward.db, apis.tokens, { id, revoke: intent === "revoke", actor, requestId: admin.requestId });
    return r.ok ? redirect(`${here}?${intent === "revoke" ? "revoked" : "restored"}=1`) : refuse({ form: r.error });
  }
  return refuse({ form: "Steward did not understand that request." });
}

const NOTICES: Record<string, string> = {
  issued: "Token issued. Send the invite below to the person you are inviting.",
  saved: "Changes saved.",
  revoked: "Token revoked: nobody can register with it now. You can restore it below.",
  restored: "Token restored: it works again.",
};

/** Takes the answer asked for while the pointer rested on a link here (decision 028). */
export const clientLoader = prefetchedLoader;

export default function MasTokenPage() {
  const data = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const busy = useNavigation().state === "submitting";
  const back = (
    <p className="small">
      <Link to="/tokens">← Tokens</Link>
    </p>
  );
  if (!data.ok) {
    return (
      <>
        {back}
        <div className="alert error" role="alert" data-testid="token-error">
          {data.error}
        </div>
      </>
    );
  }
  const { token: t, invite, registrationProblem } = data.page;
  const notice = Object.keys(NOTICES).find((k) => params.get(k) === "1");
  const errors: FieldErrors = actionData?.errors ?? {};
  const editErrors = actionData?.intent === "edit" ? errors : {};
  return (
    <>
      {back}
      <h1>
        Token <code data-testid="token-name">{t.token}</code>
      </h1>
      {notice ? (
        <div className="alert ok" role="status">
          {NOTICES[notice]}
        </div>
      ) : null}
      {errors.form && actionData?.intent !== "edit" ? (
        <div className="alert error" role="alert">
          {errors.form}
        </div>
      ) : null}
      {registrationProblem ? (
        <div className="alert warn" role="alert" data-testid="registration-problem">
          {registrationProblem}
        </div>
      ) : null}
      <MasTokenFacts t={t} />
      {invite ? (
        <MasInviteShare {...invite} />
      ) : (
        <p className="muted" data-testid="no-invite">
          No invite while nobody can register with this token. Invitees register at <span className="mono">{data.page.registrationUrl}</span>.
        </p>
      )}
      <MasTokenEditForm t={t} errors={editErrors} values={actionData?.intent === "edit" ? actionData.values : {}} busy={busy} />
      <MasRevokeForm t={t} busy={busy} />
      <MasTokenNotice />
    </>
  );
}

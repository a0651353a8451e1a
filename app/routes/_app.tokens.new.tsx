/** Issue a registration token: for whom, note, uses, expiry, optional token text or length. */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "~/components/CsrfInput";
import { Field } from "~/components/Field";
import { ExpiryFields } from "~/components/tokens/ExpiryFields";
import { randomToken } from "~/services/auth/crypto.server";
import { readForm, requireAdmin, requireCsrf, withHomeserver } from "~/services/auth/guard.server";
import { parseIssueForm, type FieldErrors } from "~/services/tokens/rules.server";
import { issueToken } from "~/services/tokens/issue.server";
import { issueMasToken, masTokensApi } from "~/services/tokens/mas-tokens.server";

export const meta: MetaFunction = () => [{ title: "Issue a token · Steward" }];

export async function loader(args: LoaderFunctionArgs) {
  await requireAdmin(args);
  // One id per form shown: a second POST of it (double click, resubmit) finds the token the first one issued.
  return json({ formId: randomToken(18) }, { headers: { "Cache-Control": "no-store" } });
}

export async function action(args: ActionFunctionArgs) {
  const admin = await requireAdmin(args);
  const form = await readForm(args.request);
  requireCsrf(args.request, admin.session, form);
  // A token literally named "new" is shadowed by this route: its revoke/edit forms land here. Never issue from them.
  if (form.has("intent")) return json({ errors: { form: "A token named “new” cannot be managed in Steward; use another tool." } as FieldErrors, values: {} as Record<string, string> }, { status: 400 });
  const values = Object.fromEntries([...form.entries()].filter(([k, v]) => k !== "csrf" && typeof v === "string")) as Record<string, string>;
  const parsed = parseIssueForm(values, Date.now());
  if (!parsed.ok) return json({ errors: parsed.errors, values }, { status: 400 });
  const cfg = admin.steward.config;
  // Under MAS the token is issued in MAS's admin API (decision 023); the same form and rules apply.
  const mas = await withHomeserver(admin, args, () =>
    masTokensApi({ hs: admin.hs, setting: cfg.homeserverAuth, homeserverUrl: cfg.homeserverUrl, accessToken: admin.session.accessToken, timeoutMs: cfg.homeserverTimeoutMs }),
  ).catch((e: unknown) => {
    if (e instanceof Response) throw e;
    return e instanceof Error ? e.message : String(e);
  });
  if (typeof mas === "string") return json({ errors: { form: mas } as FieldErrors, values }, { status: 400 });
  if (mas) {
    const r = await issueMasToken(admin.steward.db, mas, parsed.value, { actor: admin.session.userId, requestId: admin.requestId });
    if (!r.ok) return json({ errors: r.errors as FieldErrors, values }, { status: 400 });
    // The token's own page shows the invite with MAS's registration steps (decision 025).
    return redirect(`/tokens/mas/${encodeURIComponent(r.id)}?issued=1`);
  }
  const result = await withHomeserver(admin, args, () =>
    issueToken({ db: admin.steward.db, hs: admin.hs, requestId: admin.requestId }, parsed.value, admin.session.userId),
  );
  if (!result.ok) return json({ errors: result.errors, values }, { status: 400 });
  const params = new URLSearchParams({ ...(result.repeated ? { repeated: "1" } : { issued: "1" }), ...(result.warning ? { warning: "record" } : {}) });
  return redirect(`/tokens/${encodeURIComponent(result.value.token)}?${params}`);
}

export default function IssueToken() {
  const { formId } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const errors: FieldErrors = actionData?.errors ?? {};
  const v: Record<string, string> = actionData?.values ?? {};
  return (
    <>
      <p className="small">
        <Link to="/tokens">← Tokens</Link>
      </p>
      <h1>Issue a token</h1>
      <div className="panel" style={{ maxWidth: 640 }}>
        {errors.form ? (
          <div className="alert error" role="alert">
            {errors.form}
          </div>
        ) : null}
        <Form method="post" noValidate>
          <CsrfInput />
          <input type="hidden" name="formId" value={v.formId || formId} />
          <Field label="For whom" name="issuedFor" defaultValue={v.issuedFor ?? ""} error={errors.issuedFor} hint="Who you are inviting (only you see this)." maxLength={200} />
          <Field label="Note" name="note" defaultValue={v.note ?? ""} error={errors.note} maxLength={1000} />
          <Field
            label="Uses"
            name="uses"
            type="text"
            inputMode="numeric"
            defaultValue={v.uses ?? "1"}
            error={errors.uses}
            hint="How many accounts may be created with it. Leave empty for unlimited."
          />
          <ExpiryFields defaultChoice={v.expires ?? "7d"} defaultAt={v.expiresAt ?? ""} errors={errors} />
          <Field
            label="Token"
            name="token"
            defaultValue={v.token ?? ""}
            error={errors.token}
            autoComplete="off"
            hint="Optional: 1–64 characters of A–Z, a–z, 0–9 and . _ ~ -. Leave empty to generate one."
          />
          <Field
            label="Length of a generated token"
            name="length"
            type="text"
            inputMode="numeric"
            defaultValue={v.length ?? "16"}
            error={errors.length}
            hint="8–64, used only when the token is left empty. Generated tokens use letters and digits only, without look-alikes such as 0 and O."
          />
          <button type="submit" disabled={navigation.state === "submitting"}>
            {navigation.state === "submitting" ? "Issuing…" : "Issue token"}
          </button>
        </Form>
      </div>
    </>
  );
}

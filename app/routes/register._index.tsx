/**
 * The public invite page (/register?token=…): no session, works without JavaScript (a plain form post). The invite
 * is checked first; an unusable one gets a friendly page that reveals nothing else. The live username check is an
 * enhancement; the server-side check on submit is what counts.
 */
import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { InviteProblem, MasRegisterSteps, UsernameField } from "~/components/tokens/RegisterParts";
import { Field } from "~/components/Field";
import { normalizeUsername } from "~/services/tokens/types";
import { readForm } from "~/services/auth/guard.server";
import { recordAudit } from "~/services/audit/events.server";
import {
  checkInvite,
  checkPasswordSize,
  checkUsernameLocally,
  homeserverName,
  PUBLIC_LIMITS,
  publicHomeserver,
  registerWithToken,
  type InviteStatus,
  waitInWords,
} from "~/services/tokens/registration.server";
import { checkInviteForm, inviteFormToken, limitPublic, peekPublic, requirePublicRegistration, welcomePath } from "~/services/tokens/invite-guard.server";
import { codeFromLink, masRegistrationFor } from "~/services/tokens/mas-invite.server";

// No "no-referrer" meta here: Chromium then sends `Origin: null` on the form post, which Remix refuses. The
// Referrer-Policy header (same-origin) already keeps the invite token from leaking to other sites.
export const meta: MetaFunction = () => [{ title: "Create your account" }, { name: "robots", content: "noindex" }];

export const headers: HeadersFunction = ({ actionHeaders, loaderHeaders }) => {
  const h = new Headers(loaderHeaders);
  actionHeaders.forEach((v, k) => h.set(k, v));
  return h;
};

type PageStatus = InviteStatus | "missing" | "limited" | "not_configured" | "mas";

export async function loader({ request, context }: LoaderFunctionArgs) {
  requirePublicRegistration(context);
  const token = new URL(request.url).searchParams.get("token")?.trim() ?? "";
  const headers = new Headers({ "Cache-Control": "no-store" });
  const page = (status: PageStatus, extra: Record<string, unknown> = {}, code = 200) =>
    json({ status, token: "", formToken: "", retryAfterSeconds: 0, serverName: null as string | null, masRegistrationUrl: null as string | null, ...extra }, { status: code, headers });
  // Under MAS, accounts are created on MAS's own registration page: explain and link there (decision 025).
  const early = publicHomeserver(context.steward.config, context.timing);
  const cfg = context.steward.config;
  const mas = early && (await masRegistrationFor(early, cfg.homeserverAuth, cfg.homeserverUrl!));
  if (mas) return page("mas", { token: codeFromLink(token) ?? "", masRegistrationUrl: mas.registrationUrl });
  if (!token) return page("missing");
  const limit = await limitPublic(context, "view", PUBLIC_LIMITS.view);
  if (!limit.allowed) {
    headers.set("Retry-After", String(limit.retryAfterSeconds));
    return page("limited", { retryAfterSeconds: limit.retryAfterSeconds }, 429);
  }
  const hs = publicHomeserver(context.steward.config, context.timing);
  if (!hs) return page("not_configured", {}, 503);
  const status = await checkInvite(hs, token);
  if (status !== "valid" && status !== "unchecked") return page(status);
  const csrf = inviteFormToken(request, context.steward.config.sessionSecret, context.secure);
  if (csrf.setCookie) headers.append("Set-Cookie", csrf.setCookie);
  const serverName = await homeserverName(hs, context.steward.config.homeserverUrl!);
  return page(status, { token, formToken: csrf.formToken, serverName });
}

type Errors = Partial<Record<"username" | "password" | "confirm" | "form", string>>;

export async function action({ request, context }: ActionFunctionArgs) {
  requirePublicRegistration(context);
  // An address already over the limit is answered before its form is read.
  const early = await peekPublic(context, "submit", PUBLIC_LIMITS.submit);
  if (!early.allowed) {
    return json({ errors: { form: `Too many attempts from your address. Please wait ${waitInWords(early.retryAfterSeconds)} and try again.` } as Errors, values: { username: "" }, invite: null as PageStatus | null }, {
      status: 429,
      headers: { "Retry-After": String(early.retryAfterSeconds) },
    });
  }
  // A form left open from before the homeserver moved to MAS: Synapse no longer registers; the page says where to.
  const hsNow = publicHomeserver(context.steward.config, context.timing);
  if (hsNow && (await masRegistrationFor(hsNow, context.steward.config.homeserverAuth, context.steward.config.homeserverUrl!))) return redirect("/register");
  const form = await readForm(request);
  const str = (k: string) => (typeof form.get(k) === "string" ? (form.get(k) as string) : "");
  const token = str("token").trim();
  // Synapse lowercases the username of a regular registration; do it first so the checks and the result agree.
  const username = normalizeUsername(str("username"));
  const password = str("password");
  const values = { username };
  const fail = (errors: Errors, status = 400, headers?: HeadersInit) => json({ errors, values, invite: null as PageStatus | null }, { status, headers });

  if (!checkInviteForm(request, context.steward.config.sessionSecret, form.get("csrf"), context.proxyTrusted)) {
    return fail({ form: "This form has expired. Open your invite link again and retry." }, 403);
  }
  // Mistakes caught here never reach the homeserver, so they do not count against the limit below.
  const errors: Errors = {};
  const badName = checkUsernameLocally(username);
  if (badName) errors.username = badName;
  const badPassword = checkPasswordSize(password);
  if (badPassword) errors.password = badPassword;
  if (password && str("confirm") !== password) errors.confirm = "The two passwords are not the same.";
  if (Object.keys(errors).length) return fail(errors);

  const limit = await limitPublic(context, "submit", PUBLIC_LIMITS.submit);
  if (!limit.allowed) {
    return fail({ form: `Too many attempts from your address. Please wait ${waitInWords(limit.retryAfterSeconds)} and try again.` }, 429, {
      "Retry-After": String(limit.retryAfterSeconds),
    });
  }

  const hs = publicHomeserver(context.steward.config, context.timing);
  if (!hs) return fail({ form: "Registration is not set up on this site." }, 503);
  const result = await registerWithToken(hs, { username, password, token });
  if (!result.ok) {
    const p = result.problem;
    if (p.field === "invite") return json({ errors: {} as Errors, values, invite: "invalid" as PageStatus }, { status: 400 });
    const headers = p.retryAfterMs ? { "Retry-After": String(Math.ceil(p.retryAfterMs / 1000)) } : undefined;
    return fail({ [p.field]: p.message }, p.retryAfterMs ? 429 : 400, headers);
  }
  // The admins' audit log shows which invite created which account.
  await recordAudit(context.steward.db, { actor: result.userId, action: "register.complete", target: token, outcome: "ok", requestId: context.requestId });
  return redirect(welcomePath(context.steward.config.sessionSecret, result.userId));
}

export default function Register() {
  const data = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const status = (actionData?.invite ?? data.status) as PageStatus;
  if (status === "mas") return <MasRegisterSteps registrationUrl={data.masRegistrationUrl} code={data.token || null} />;
  if (status !== "valid" && status !== "unchecked") {
    return <InviteProblem status={status} retryAfterSeconds={data.retryAfterSeconds} />;
  }
  const errors: Errors = actionData?.errors ?? {};
  return (
    <main className="login-page">
      <div className="panel">
        <h1>Create your account</h1>
        <p className="muted small" data-testid="joining">
          {data.serverName ? (
            <>
              You were invited to join the Matrix chat server <strong className="mono">{data.serverName}</strong>. Choose a username and a
              password: your address will be <span className="mono">@username:{data.serverName}</span>.
            </>
          ) : (
            "You were invited to join this Matrix chat server. Choose a username and a password."
          )}
        </p>
        {errors.form ? (
          <div className="alert error" role="alert">
            {errors.form}
          </div>
        ) : null}
        <Form method="post" noValidate>
          <input type="hidden" name="csrf" value={data.formToken} />
          <input type="hidden" name="token" value={data.token} />
          <UsernameField
            defaultValue={actionData?.values?.username ?? ""}
            error={errors.username}
            formToken={data.formToken}
            serverName={data.serverName}
            answer={actionData}
          />
          <Field label="Password" name="password" type="password" autoComplete="new-password" error={errors.password} hint="8 to 512 characters." required />
          <Field label="Confirm password" name="confirm" type="password" autoComplete="new-password" error={errors.confirm} required />
          <button type="submit" disabled={navigation.state === "submitting"}>
            {navigation.state === "submitting" ? "Creating your account…" : "Create account"}
          </button>
        </Form>
      </div>
    </main>
  );
}

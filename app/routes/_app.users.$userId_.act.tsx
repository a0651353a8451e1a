/**
 * /users/<user_id>/act?action=…: the confirmation page of one user action (works without JavaScript). GET only
 * shows what will happen to whom; the POST (CSRF, a one-time form id) runs it, audits it, and goes back to the user's
 * page, which shows the new state. A refusal or the homeserver's error is shown here, in words, and nothing changes.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { CsrfInput } from "~/components/CsrfInput";
import { Field } from "~/components/Field";
import { checkedParam, isMatrixUserId } from "~/services/routing/params";
import { Time } from "~/components/Time";
import { readForm, requireAdmin, requireCsrf, withHomeserver, type AdminRequest } from "~/services/auth/guard.server";
import { USER_ACTIONS, type UserActionName } from "~/services/users/actions/backend";
import { actionLabel, asksPassword, consequence, refusal, type Actor } from "~/services/users/actions/rules";
import { describeActionError, generatePassword, newFormId, runUserAction, type ActionRequest } from "~/services/users/actions/run.server";
import { actorFor, loadActionTarget, userActionsBackendForAdmin } from "~/services/users/actions/target.server";
import type { BackendSession, UserActionsBackend } from "~/services/users/actions/backend";
import { sessionLabel } from "~/services/users/actions/mas-words";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data && "label" in data ? data.label : "Action"} · ${data && "userId" in data ? data.userId : "User"} · Steward` },
];

// Built per request, not at the top level, so zod stays out of the page's browser scripts (decision 038).
const schemas = () => ({
  UserId: z.string().max(255).regex(/^@[^:\s]+:[^\s]+$/),
  Action: z.enum(USER_ACTIONS),
  /** Synapse device ids (and, under MAS, `<kind>:<ULID>` session keys) are short printable strings; anything else is not one of this user's sessions. */
  DeviceId: z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/),
  /** Sessions unseen for more than this many days are stale (the posture scan's default; the link passes the scan's). */
  Days: z.coerce.number().int().min(1).max(3650),
});
const MAX_NOTICE = 4000;
const DEFAULT_STALE_DAYS = 30;
const DAY_MS = 86_400_000;

const serverOf = (userId: string) => userId.slice(userId.indexOf(":") + 1);
const userPath = (userId: string) => `/users/${encodeURIComponent(userId)}`;

async function context(admin: AdminRequest, args: LoaderFunctionArgs, params: URLSearchParams) {
  const { UserId, Action, DeviceId, Days } = schemas();
  const user = UserId.safeParse(args.params.userId ?? "");
  if (!user.success) throw json({ error: "That is not a Matrix user id (expected @name:server)." }, { status: 400 });
  const action = Action.safeParse(params.get("action") ?? "");
  if (!action.success) throw json({ error: "Steward has no such action for a user." }, { status: 400 });
  let deviceId: string | undefined;
  if (action.data === "sign-out-device") {
    const d = DeviceId.safeParse(params.get("device") ?? "");
    if (!d.success) throw json({ error: "Say which session to sign out (a device id)." }, { status: 400 });
    deviceId = d.data;
  }
  let days: number | undefined;
  if (action.data === "sign-out-stale") {
    const d = Days.safeParse(params.get("days") || DEFAULT_STALE_DAYS);
    if (!d.success) throw json({ error: "Stale means unseen for a whole number of days between 1 and 3650." }, { status: 400 });
    days = d.data;
  }
  // Synapse's admin API, or MAS's when the homeserver delegates accounts to it (decision 024).
  const backend = await withHomeserver(admin, args, () => userActionsBackendForAdmin(admin));
  const lookup = await withHomeserver(admin, args, () => loadActionTarget(admin.hs, user.data, serverOf(admin.session.userId), backend));
  if (!lookup.ok) throw json({ error: lookup.error }, { status: lookup.status });
  return { userId: user.data, action: action.data, deviceId, days, target: lookup.target, backend };
}

type Context = Awaited<ReturnType<typeof context>>;

/** The user's sessions as the backend ends them (devices on Synapse, MAS sessions under MAS), or why not. */
async function liveSessions(admin: AdminRequest, args: LoaderFunctionArgs, backend: UserActionsBackend, userId: string): Promise<{ sessions: BackendSession[] } | { error: string }> {
  try {
    return { sessions: (await withHomeserver(admin, args, () => backend.sessions(userId))).sessions };
  } catch (e) {
    if (e instanceof Response) throw e;
    return { error: describeActionError(e) };
  }
}

/**
 * Sign-out actions need the sessions (and, on the admin's own page under MAS, which of them are Steward's). On
 * Synapse a single sign-out is sent without listing first when the form comes back, as before (a missing device
 * answers 200 there).
 */
async function sessionsAndActor(admin: AdminRequest, args: LoaderFunctionArgs, c: Context, submitting: boolean) {
  const mas = c.backend.kind === "mas";
  // Under MAS a reset of one's own password that signs out everywhere must spare Steward's own sign-in.
  const ownReset = mas && c.action === "reset-password" && c.userId === admin.session.userId;
  const needed = c.action === "sign-out-stale" || (c.action === "sign-out-device" && (!submitting || mas)) || ownReset;
  const wanted = needed && c.target.local && !c.target.deactivated;
  const live = wanted ? await liveSessions(admin, args, c.backend, c.userId) : null;
  const sessions = live && "sessions" in live ? live.sessions : null;
  const actor = await actorFor(admin.steward.db, admin.session, c.userId, mas ? sessions : null);
  return { live, sessions, actor };
}

/** A session's name on the stale list: the device's own name on Synapse, its app or device in words under MAS. */
const sessionName = (s: BackendSession) => (s.kind === "device" ? s.name : sessionLabel(s));

/** The user's sessions unseen for more than `days` (never Steward's own). */
function staleSessions(sessions: BackendSession[], userId: string, actor: Actor, days: number) {
  const cutoff = Date.now() - days * DAY_MS;
  const own = (key: string) => userId === actor.userId && (key === actor.deviceId || (actor.ownSessions?.includes(key) ?? false));
  return sessions
    .filter((s) => s.canSignOut && s.lastActiveTs !== null && s.lastActiveTs < cutoff && !own(s.key))
    .map((s) => ({ deviceId: s.key, displayName: sessionName(s), lastSeenTs: new Date(s.lastActiveTs!).toISOString(), lastSeenIp: s.ip }));
}

export async function loader(args: LoaderFunctionArgs) {
  checkedParam(args.params.userId, isMatrixUserId, "user (not a Matrix user ID)"); // before any query (issue 14, item 18)
  const admin = await requireAdmin(args);
  const c = await context(admin, args, new URL(args.request.url).searchParams);
  const service = c.backend.kind;
  const { live, sessions, actor } = await sessionsAndActor(admin, args, c, false);
  // A session that is not there is refused up front (Synapse would answer 200 and nothing would happen).
  const session = c.deviceId !== undefined && sessions ? sessions.find((s) => s.key === c.deviceId) : undefined;
  const unknownDevice = c.deviceId !== undefined && sessions !== null && !session;
  const stale = c.days !== undefined && sessions ? staleSessions(sessions, c.userId, actor, c.days) : [];
  // On Synapse a device list that failed only skips the "no such session" check, as before; elsewhere it refuses.
  const listError =
    live && "error" in live && (service === "mas" || c.action === "sign-out-stale") ? `Steward could not list the sessions of ${c.userId}: ${live.error}` : null;
  const unsupported = c.backend.supports(c.action) ? null : (c.backend.unsupportedReason(c.action) ?? "This homeserver's account service does not offer that action.");
  const why =
    unsupported ??
    (unknownDevice
      ? `${c.userId} has no session ${c.deviceId}; it may already be signed out.`
      : (refusal(c.action, c.target, actor, c.deviceId) ??
        listError ??
        (c.days !== undefined && !stale.length ? `${c.userId} has no session unseen for more than ${c.days} days.` : null)));
  const label = session && session.kind !== "device" ? sessionLabel(session) : undefined;
  return json(
    {
      userId: c.userId,
      action: c.action,
      service,
      label: actionLabel(c.action, service),
      deviceId: c.deviceId ?? null,
      refusal: why,
      consequence: consequence(c.action, c.userId, { deviceId: c.deviceId, sessionLabel: label, erase: false, signOutAll: true, count: stale.length, days: c.days, service }),
      days: c.days ?? null,
      stale,
      asksPassword: asksPassword(c.action, service),
      eraseConsequence: c.action === "deactivate" ? consequence("deactivate", c.userId, { erase: true, service }) : null,
      formId: newFormId(),
    },
    { headers: { "Cache-Control": "no-store" } },
  );
}

type ActionData = { error?: string; fields?: Record<string, string>; password?: string };

export async function action(args: ActionFunctionArgs) {
  checkedParam(args.params.userId, isMatrixUserId, "user (not a Matrix user ID)"); // before any query (issue 14, item 18)
  const admin = await requireAdmin(args);
  const form = await readForm(args.request);
  requireCsrf(args.request, admin.session, form);
  const params = new URLSearchParams();
  for (const k of ["action", "device", "days"]) params.set(k, String(form.get(k) ?? ""));
  const c = await context(admin, args, params);
  const formId = String(form.get("formId") ?? "");
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(formId)) return json<ActionData>({ error: "This form is incomplete; open the action again." }, { status: 400 });

  const { live, sessions, actor } = await sessionsAndActor(admin, args, c, true);
  if (live && "error" in live) return json<ActionData>({ error: `Steward could not list the sessions of ${c.userId}: ${live.error}` }, { status: 502 });
  let req: ActionRequest;
  let generated: string | undefined;
  switch (c.action) {
    case "sign-out-device": {
      const session = sessions?.find((s) => s.key === c.deviceId);
      req = { action: c.action, deviceId: c.deviceId!, ...(session && session.kind !== "device" ? { sessionLabel: sessionLabel(session) } : {}) };
      break;
    }
    case "sign-out-stale": {
      // Only what the preview listed AND is still stale now: a session used since then is left alone.
      const shown = new Set(form.getAll("stale").map(String));
      const still = staleSessions(sessions ?? [], c.userId, actor, c.days!)
        .map((d) => d.deviceId)
        .filter((id) => shown.has(id));
      req = { action: c.action, deviceIds: still, days: c.days! };
      break;
    }
    case "reset-password":
    case "reactivate": {
      // MAS reactivates without a password (the old one works again): no password is asked or sent.
      if (!asksPassword(c.action, c.backend.kind)) {
        req = { action: "reactivate", password: null };
        break;
      }
      const generate = form.get("generate") === "1";
      const password = String(form.get("password") ?? "");
      const again = String(form.get("password2") ?? "");
      if (generate) generated = generatePassword();
      else if (password.length < 8) return json<ActionData>({ fields: { password: "Type a password of at least 8 characters, or let Steward generate one." } }, { status: 400 });
      else if (password.length > 512) return json<ActionData>({ fields: { password: "At most 512 characters." } }, { status: 400 });
      else if (password !== again) return json<ActionData>({ fields: { password2: "The two passwords differ." } }, { status: 400 });
      const pw = generated ?? password;
      req = c.action === "reactivate" ? { action: c.action, password: pw } : { action: c.action, password: pw, signOutAll: form.get("signOutAll") === "1" };
      break;
    }
    case "deactivate": {
      const erase = form.get("erase") === "1";
      if (erase && String(form.get("confirmUserId") ?? "").trim() !== c.userId) {
        return json<ActionData>({ fields: { confirmUserId: `To erase, type the user id exactly: ${c.userId}` } }, { status: 400 });
      }
      req = { action: c.action, erase };
      break;
    }
    case "send-notice": {
      const text = String(form.get("text") ?? "").trim();
      if (!text) return json<ActionData>({ fields: { text: "Write the message to send." } }, { status: 400 });
      if (text.length > MAX_NOTICE) return json<ActionData>({ fields: { text: `At most ${MAX_NOTICE} characters.` } }, { status: 400 });
      req = { action: c.action, text };
      break;
    }
    default:
      req = { action: c.action };
  }
  const result = await withHomeserver(admin, args, () =>
    runUserAction(
      { db: admin.steward.db, backend: c.backend, actor, requestId: admin.requestId },
      c.target,
      req,
      formId,
    ),
  );
  if (!result.ok) return json<ActionData>({ error: result.error }, { status: result.refused ? 409 : 502 });
  // A generated password is shown once, here, and never stored or put in a URL.
  if (generated) return json<ActionData>({ password: generated }, { headers: { "Cache-Control": "no-store" } });
  return redirect(`${userPath(c.userId)}?done=${c.action}`);
}

export default function ConfirmAction() {
  const d = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>() as ActionData | undefined;
  const busy = useNavigation().state === "submitting";
  const danger = ["deactivate", "lock", "sign-out-all", "sign-out-device", "sign-out-stale", "remove-admin", "reset-password"].includes(d.action);
  const back = userPath(d.userId);
  if (a?.password) {
    return (
      <>
        <h1>Password reset</h1>
        <div className="alert ok" role="status">
          <p>
            The new password of <span className="mono">{d.userId}</span> is shown only this once. Copy it now and give it to them through a channel you
            trust:
          </p>
          <p className="mono" data-testid="generated-password" style={{ fontSize: "1.2rem" }}>
            {a.password}
          </p>
        </div>
        <p>
          <Link to={back}>Back to {d.userId}</Link>
        </p>
      </>
    );
  }
  return (
    <>
      <p className="small">
        <Link to={back}>← {d.userId}</Link>
      </p>
      <h1>{d.label}</h1>
      {d.refusal ? (
        <div className="alert error" role="alert" data-testid="refusal">
          {d.refusal}
        </div>
      ) : (
        <section className="panel" style={{ maxWidth: 720 }}>
          <p data-testid="consequence">{d.consequence}</p>
          {a?.error ? (
            <div className="alert error" role="alert" data-testid="action-error">
              Nothing was changed: {a.error}
            </div>
          ) : null}
          <Form method="post" noValidate>
            <CsrfInput />
            <input type="hidden" name="action" value={d.action} />
            <input type="hidden" name="formId" value={d.formId} />
            {d.deviceId ? <input type="hidden" name="device" value={d.deviceId} /> : null}
            {d.days !== null ? <input type="hidden" name="days" value={d.days} /> : null}
            {d.stale.length ? <StaleList sessions={d.stale} /> : null}
            <ActionFields action={d.action as UserActionName} asksPassword={d.asksPassword} service={d.service} eraseConsequence={d.eraseConsequence} userId={d.userId} errors={a?.fields ?? {}} />
            <button type="submit" className={danger ? "danger" : undefined} disabled={busy}>
              {busy ? "Working…" : `Yes: ${d.label.toLowerCase()}`}
            </button>{" "}
            <Link to={back}>Cancel</Link>
          </Form>
        </section>
      )}
    </>
  );
}

function StaleList({ sessions }: { sessions: Array<{ deviceId: string; displayName: string | null; lastSeenTs: string; lastSeenIp: string | null }> }) {
  return (
    <table data-testid="stale-sessions">
      <thead>
        <tr>
          <th>Session</th>
          <th>Last seen</th>
          <th>IP address</th>
        </tr>
      </thead>
      <tbody>
        {sessions.map((s) => (
          <tr key={s.deviceId}>
            <td>
              <input type="hidden" name="stale" value={s.deviceId} />
              <span className="mono">{s.deviceId}</span>
              {s.displayName ? (
                <div className="small muted">
                  <bdi>{s.displayName}</bdi>
                </div>
              ) : null}
            </td>
            <td>
              <Time value={s.lastSeenTs} />
            </td>
            <td className="mono small">{s.lastSeenIp ?? "unknown"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ActionFields({
  action,
  asksPassword,
  service,
  eraseConsequence,
  userId,
  errors,
}: {
  action: UserActionName;
  asksPassword: boolean;
  service: string;
  eraseConsequence: string | null;
  userId: string;
  errors: Record<string, string>;
}) {
  if (asksPassword) {
    return (
      <>
        <Field label="New password" name="password" type="password" autoComplete="new-password" error={errors.password} />
        <Field label="New password again" name="password2" type="password" autoComplete="new-password" error={errors.password2} />
        <div className="field">
          <label>
            <input type="checkbox" name="generate" value="1" /> Leave both empty and let Steward generate a password (shown once)
          </label>
        </div>
        {action === "reset-password" ? (
          <div className="field">
            <label>
              <input type="checkbox" name="signOutAll" value="1" defaultChecked /> Sign out every session of {userId}
            </label>
          </div>
        ) : null}
      </>
    );
  }
  if (action === "deactivate") {
    return (
      <fieldset className="field">
        <legend>Erase too?</legend>
        {service === "mas" ? (
          <p className="small" data-testid="mas-erase-default">
            The authentication service erases a deactivated account unless it is told not to. Leave the box unticked and Steward tells it to keep
            the messages and profile; tick it to erase.
          </p>
        ) : null}
        <label>
          <input type="checkbox" name="erase" value="1" /> Erase the account
        </label>
        <p className="small">{eraseConsequence}</p>
        <Field label="To erase, type the user id" name="confirmUserId" autoComplete="off" error={errors.confirmUserId} hint={<span className="mono">{userId}</span>} />
      </fieldset>
    );
  }
  if (action === "send-notice") {
    return (
      <div className="field">
        <label htmlFor="f-text">Message</label>
        <textarea id="f-text" name="text" rows={5} maxLength={MAX_NOTICE} aria-invalid={errors.text ? true : undefined} style={{ width: "100%" }} />
        {errors.text ? (
          <div className="field-error" role="alert">
            {errors.text}
          </div>
        ) : null}
      </div>
    );
  }
  return null;
}

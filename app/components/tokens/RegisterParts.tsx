/** Pieces of the public invite pages: the friendly "this invite does not work" page and the username field. */
import { useEffect, useRef, useState } from "react";
import { Field } from "~/components/Field";
import { normalizeUsername, waitInWords } from "~/services/tokens/types";

const PROBLEMS: Record<string, { title: string; text: string }> = {
  invalid: {
    title: "This invite does not work",
    text: "The invite link is not valid any more: it may have been used already, have expired, or been withdrawn. Ask your admin for a new one.",
  },
  missing: { title: "You need an invite", text: "To create an account here, open the invite link your admin sent you. Ask your admin for one." },
  disabled: { title: "Sign-ups are closed", text: "Registration is switched off on this server right now. Ask your admin about it." },
  unavailable: { title: "Sign-ups happen elsewhere", text: "This server does not take sign-ups on this page. Ask your admin how to join." },
  down: { title: "The server is not answering", text: "The chat server is not answering right now. Your invite may still be good: please try again in a few minutes." },
  not_configured: { title: "Sign-ups are not set up", text: "This site is not set up to create accounts. Ask your admin." },
  limited: { title: "Please wait a moment", text: "There were too many attempts from your address." },
};

export function InviteProblem({ status, retryAfterSeconds }: { status: string; retryAfterSeconds?: number }) {
  const p = PROBLEMS[status] ?? PROBLEMS.invalid;
  return (
    <main className="login-page">
      <div className="panel" data-testid="invite-problem">
        <h1>{p.title}</h1>
        <p>{p.text}</p>
        {status === "limited" && retryAfterSeconds ? <p>Try again in {waitInWords(retryAfterSeconds)}.</p> : null}
      </div>
    </main>
  );
}

/**
 * The invite page on a homeserver whose accounts are run by the Matrix Authentication Service: the account is made
 * on the service's own page, which asks for the invitation code (it cannot take it from a link). A link to go
 * there, not a silent redirect: the invitee needs these steps, and the code, before leaving (decision 025).
 */
export function MasRegisterSteps({ registrationUrl, code }: { registrationUrl: string | null; code: string | null }) {
  return (
    <main className="login-page">
      <div className="panel" data-testid="mas-register">
        <h1>Create your account</h1>
        {registrationUrl ? (
          <>
            <p>Accounts on this chat server are created on its sign-in service. It takes three steps:</p>
            <ol data-testid="mas-register-steps">
              <li>Open the registration page with the button below.</li>
              <li>Choose a username and a password (and enter your email address if you are asked for it).</li>
              <li>
                When you are asked for a registration token, paste {code ? "your invitation code:" : "the invitation code from your invite."}
                {code ? (
                  <div className="field">
                    <label htmlFor="mas-code">Your invitation code</label>
                    <input id="mas-code" type="text" readOnly value={code} className="mono" data-testid="mas-code" />
                  </div>
                ) : null}
              </li>
            </ol>
            <p>
              <a className="button" href={registrationUrl} data-testid="mas-register-link">
                Open the registration page
              </a>
            </p>
            <p className="muted small">Then sign in with Element (https://app.element.io, or the Element app on your phone) with your new username and password.</p>
          </>
        ) : (
          <p>Accounts on this chat server are created on its sign-in service, which cannot be reached from here right now. Ask your admin how to join.</p>
        )}
      </div>
    </main>
  );
}

type Check =
  | { state: "idle" }
  | { state: "checking"; for: string }
  | { state: "ok"; for: string }
  | { state: "bad"; for: string; message: string }
  | { state: "unknown"; for: string; message: string };

/**
 * Username with a live availability check once JavaScript runs (debounced, via /register/available, which
 * needs the form's token). The server checks again on submit, whatever this says.
 *
 * Which message shows (issue 14): the server's answer replaces the live check's verdict, and each verdict applies
 * only to the text it judged — editing the field hides errors about the old text. Capital letters are lowercased
 * by the homeserver: the field says so, and shows the resulting name, before the form is sent.
 */
export function UsernameField({
  defaultValue,
  error,
  formToken,
  serverName,
  answer,
}: {
  defaultValue: string;
  error?: string;
  formToken?: string;
  serverName?: string | null;
  /** The server's latest answer to the form (any new object means: a new answer). */
  answer?: unknown;
}) {
  const [value, setValue] = useState(defaultValue);
  const [check, setCheck] = useState<Check>({ state: "idle" });
  const timer = useRef<ReturnType<typeof setTimeout>>();
  // A new server answer: the field holds what the server judged, and earlier live verdicts are void.
  useEffect(() => {
    setValue(defaultValue);
    setCheck({ state: "idle" });
  }, [answer, defaultValue]);
  const name = normalizeUsername(value);
  const judged = normalizeUsername(defaultValue);
  useEffect(() => {
    if (!formToken || !name || name === judged) return;
    clearTimeout(timer.current);
    const ctrl = new AbortController();
    timer.current = setTimeout(() => {
      setCheck({ state: "checking", for: name });
      fetch(`/register/available?${new URLSearchParams({ username: name })}`, { headers: { "X-Invite-Form": formToken }, signal: ctrl.signal })
        .then((r) => r.json() as Promise<{ available: boolean | null; message?: string }>)
        .then((r) =>
          setCheck(
            r.available === true
              ? { state: "ok", for: name }
              : r.available === false
                ? { state: "bad", for: name, message: r.message ?? "" }
                : { state: "unknown", for: name, message: r.message ?? "" },
          ),
        )
        .catch(() => undefined);
    }, 600);
    return () => {
      clearTimeout(timer.current);
      ctrl.abort();
    };
  }, [name, formToken, judged]);
  const current = check.state !== "idle" && check.for === name ? check : null;
  const serverError = error && name === judged ? error : undefined;
  const live = current?.state === "bad" ? current.message : undefined;
  const lowered = value.trim() !== "" && /[A-Z]/.test(value);
  return (
    <>
      <Field
        label="Username"
        name="username"
        autoComplete="username"
        autoCapitalize="none"
        spellCheck={false}
        value={value}
        onChange={(e) => setValue(e.target.value)}
        error={serverError ?? live}
        hint="Letters a–z, digits 0–9 and = _ - . / + (not starting with _, not only digits). Capital letters become lowercase."
        required
      />
      <div className="small" aria-live="polite" style={{ marginTop: "-.6rem", marginBottom: ".8rem" }} data-testid="username-status">
        {lowered ? (
          <div data-testid="username-lowercased">
            Your username will be <strong className="mono">{name}</strong>
            {serverName ? <span className="mono">{` (@${name}:${serverName})`}</span> : null}: capital letters become lowercase.
          </div>
        ) : null}
        {current?.state === "checking" ? <span className="muted">Checking…</span> : null}
        {current?.state === "ok" && !serverError ? <span style={{ color: "var(--ok)" }}>Available</span> : null}
      </div>
    </>
  );
}

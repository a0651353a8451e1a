/** Pieces of the public invite pages: the friendly "this invite does not work" page and the username field. */
import { useEffect, useRef, useState } from "react";
import { Field } from "~/components/Field";

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
        {status === "limited" && retryAfterSeconds ? <p>Try again in {retryAfterSeconds} seconds.</p> : null}
      </div>
    </main>
  );
}

type Check = { state: "idle" | "checking" } | { state: "ok" } | { state: "bad"; message: string } | { state: "unknown"; message: string };

/**
 * Username with a live availability check once JavaScript runs (debounced, via /register/available, which
 * needs the form's token). The server checks again on submit, whatever this says.
 */
export function UsernameField({ defaultValue, error, formToken }: { defaultValue: string; error?: string; formToken?: string }) {
  const [value, setValue] = useState(defaultValue);
  const [check, setCheck] = useState<Check>({ state: "idle" });
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => {
    if (!formToken || !value || value === defaultValue) return;
    clearTimeout(timer.current);
    const ctrl = new AbortController();
    timer.current = setTimeout(() => {
      setCheck({ state: "checking" });
      fetch(`/register/available?${new URLSearchParams({ username: value })}`, { headers: { "X-Invite-Form": formToken }, signal: ctrl.signal })
        .then((r) => r.json() as Promise<{ available: boolean | null; message?: string }>)
        .then((r) =>
          setCheck(r.available === true ? { state: "ok" } : r.available === false ? { state: "bad", message: r.message ?? "" } : { state: "unknown", message: r.message ?? "" }),
        )
        .catch(() => undefined);
    }, 600);
    return () => {
      clearTimeout(timer.current);
      ctrl.abort();
    };
  }, [value, formToken, defaultValue]);
  const live = check.state === "bad" ? check.message : undefined;
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
        error={error ?? live}
        hint="Lowercase letters a–z, digits 0–9 and = _ - . / + (not starting with _, not only digits)."
        required
      />
      <div className="small" aria-live="polite" style={{ marginTop: "-.6rem", marginBottom: ".8rem" }}>
        {check.state === "checking" ? <span className="muted">Checking…</span> : null}
        {check.state === "ok" && !error ? <span style={{ color: "var(--ok)" }}>Available</span> : null}
      </div>
    </>
  );
}

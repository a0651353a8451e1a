/** The sign-in page's button for a homeserver that delegates sign-in to the Matrix Authentication Service. */
import { Form } from "@remix-run/react";

export function MasSignInButton({ next, busy }: { next: string; busy: boolean }) {
  return (
    <Form method="post" action="/auth/mas" data-testid="mas-sign-in">
      <input type="hidden" name="next" value={next} />
      <p className="small">
        You will sign in on your homeserver's authentication service and allow Steward to act for you. Only accounts that
        the authentication service lets request admin rights (MAS admins) can use Steward.
      </p>
      <button type="submit" disabled={busy}>
        {busy ? "Opening the authentication service…" : "Sign in with the authentication service"}
      </button>
    </Form>
  );
}

/** What went wrong with a MAS sign-in, and the way back. */
export function MasSignInProblem({ message }: { message: string }) {
  return (
    <main className="login-page">
      <div className="panel">
        <h1>Sign-in did not complete</h1>
        <div className="alert error" role="alert">
          {message}
        </div>
        <p>
          <a href="/login">Back to sign-in</a>
        </p>
      </div>
    </main>
  );
}

/** The sign-in page's button for a homeserver that delegates sign-in to the Matrix Authentication Service. */
/** A plain link, not a form: the browser leaves for MAS, which a form post may not under `form-action 'self'`. */
export function MasSignInButton({ next }: { next: string }) {
  return (
    <div data-testid="mas-sign-in">
      <p className="small">
        You will sign in on your homeserver's authentication service and allow Steward to act for you. Only accounts that
        the authentication service lets request admin rights (MAS admins) can use Steward.
      </p>
      <a className="button" href={`/auth/mas?go=1&next=${encodeURIComponent(next)}`} rel="nofollow">
        Sign in with the authentication service
      </a>
    </div>
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

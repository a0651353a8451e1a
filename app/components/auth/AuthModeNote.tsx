/** One line on the sign-in page saying how admins sign in here (classic Synapse or the authentication service). */
export interface AuthModeNoteProps {
  mode: "synapse" | "mas";
  text: string;
  problem: string | null;
}

export function AuthModeNote({ mode, text, problem }: AuthModeNoteProps) {
  return (
    <div data-testid="auth-mode" data-mode={mode}>
      <p className="muted small">{text}</p>
      {problem ? <div className="alert warn">{problem}</div> : null}
    </div>
  );
}

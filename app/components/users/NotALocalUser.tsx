/**
 * What /users/<something> is when it is not a user of this server (issue 14, item 16): a text that is not a Matrix
 * user ID at all, or the ID of someone on another server (Steward administers only its own homeserver).
 */
import { Link } from "@remix-run/react";

export type NotALocalUserView = { kind: "invalid"; text: string } | { kind: "remote"; userId: string; server: string; ourServer: string };

export function NotALocalUser({ view }: { view: NotALocalUserView }) {
  return (
    <>
      <p className="small">
        <Link to="/users">← Users</Link>
      </p>
      {view.kind === "invalid" ? (
        <>
          <h1>Not a Matrix user ID</h1>
          <p data-testid="not-a-user">
            “<bdi className="mono">{view.text.length > 120 ? `${view.text.slice(0, 120)}…` : view.text}</bdi>” is not a Matrix user ID. A user ID looks
            like <span className="mono">@name:server.example</span>.
          </p>
        </>
      ) : (
        <>
          <h1 className="mono" style={{ overflowWrap: "anywhere" }}>
            <bdi>{view.userId}</bdi>
          </h1>
          <p data-testid="not-a-user">
            Not a user of this server: this account lives on <bdi className="mono">{view.server}</bdi>, and Steward manages the users of{" "}
            <span className="mono">{view.ourServer}</span> only. Its profile, devices and security are known to its own server.
          </p>
        </>
      )}
      <p>
        <Link to={`/users`}>Search the users of this server</Link>
      </p>
    </>
  );
}

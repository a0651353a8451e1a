/**
 * Onboarding after a successful registration: the full user id to sign in with in Element, then the two steps
 * that keep encrypted history safe (secure key, secure backup), how verification works, and who to say hi to.
 */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requirePublicRegistration, verifyWelcome } from "~/services/tokens/invite-guard.server";

export const meta: MetaFunction = () => [{ title: "Welcome" }, { name: "robots", content: "noindex" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  requirePublicRegistration(context);
  const url = new URL(request.url);
  const userId = url.searchParams.get("u");
  if (!verifyWelcome(context.steward.config.sessionSecret, userId, url.searchParams.get("s"))) {
    throw new Response("Not Found", { status: 404 });
  }
  const serverName = userId!.slice(userId!.indexOf(":") + 1);
  const contact = context.steward.config.adminContact ?? null;
  return json({ userId: userId!, serverName, adminContact: contact }, { headers: { "Cache-Control": "no-store" } });
}

export default function Welcome() {
  const { userId, serverName, adminContact } = useLoaderData<typeof loader>();
  const contactLink = adminContact?.startsWith("@") ? `https://matrix.to/#/${encodeURIComponent(adminContact)}` : null;
  return (
    <main className="content" style={{ maxWidth: 760 }}>
      <h1>Welcome! Your account is ready</h1>
      <div className="panel">
        <h2 style={{ marginTop: 0 }}>1. Sign in with Element</h2>
        <p>Your user id — use all of it, with the @ and the part after the colon:</p>
        <p style={{ fontSize: "1.3rem" }}>
          <code data-testid="new-user-id">{userId}</code>
        </p>
        <ul>
          <li>
            In a browser: open <a href="https://app.element.io/#/login">app.element.io</a>. Choose <em>Edit</em> next to the homeserver, enter{" "}
            <code>{serverName}</code>, then sign in with your user id and password.
          </li>
          <li>
            On your phone or computer: install Element from <a href="https://element.io/download">element.io/download</a> (iOS, Android, Windows,
            macOS, Linux) and sign in the same way.
          </li>
        </ul>
      </div>
      <div className="panel">
        <h2 style={{ marginTop: 0 }}>2. Set up your secure key</h2>
        <p>
          Your messages are end-to-end encrypted. When Element offers to <strong>set up recovery</strong> (Settings → Security &amp; Privacy), do it:
          it creates your cross-signing keys and a <strong>recovery key</strong>. Keep that key in a password manager or write it on paper and keep it
          safe. Without it, losing your devices means losing your encrypted history.
        </p>
      </div>
      <div className="panel">
        <h2 style={{ marginTop: 0 }}>3. Turn on secure backup</h2>
        <p>
          In Settings → Security &amp; Privacy, make sure <strong>Secure Backup</strong> (key storage) is on. Element then keeps an encrypted copy of
          your message keys on the server, which only your recovery key can open.
        </p>
      </div>
      <div className="panel">
        <h2 style={{ marginTop: 0 }}>4. How verification works</h2>
        <p>
          When you sign in on a new device, Element asks you to verify it: confirm on a device where you are already signed in (you compare a few
          emoji), or enter your recovery key. You can also verify the people you talk to by comparing emoji with them. Verified devices and people
          get a shield; a warning means something changed and is worth a question.
        </p>
      </div>
      <div className="panel">
        <h2 style={{ marginTop: 0 }}>5. Say hi</h2>
        {adminContact ? (
          <p data-testid="admin-contact">
            Send a message to {contactLink ? <a href={contactLink}>{adminContact}</a> : <strong>{adminContact}</strong>} to say hi — and ask them
            anything.
          </p>
        ) : (
          <p>Send your admin a message to say hi — and ask them anything.</p>
        )}
      </div>
    </main>
  );
}

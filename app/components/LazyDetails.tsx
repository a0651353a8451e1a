/**
 * A <details> whose body is drawn only once it is opened, on a page reached by a client-side navigation.
 *
 * Why: the security list's rows each carry a closed <details> with the user's sessions and notes — over half of the
 * page's elements (1,700 for 50 rows), drawn and laid out on every navigation though nobody sees them until a row is
 * opened (issue 18). A page the server rendered keeps every body in its HTML (and hydrates it as is): it works without
 * JavaScript, and the browser's find-in-page searches the closed rows.
 */
import { useState, type ReactNode } from "react";
import { appHydrated } from "./first-rows";

export function LazyDetails({ summary, children }: { summary: ReactNode; children: () => ReactNode }) {
  const [lazy] = useState(appHydrated);
  const [opened, setOpened] = useState(false);
  return (
    <details onToggle={(e) => e.currentTarget.open && setOpened(true)}>
      <summary>{summary}</summary>
      {!lazy || opened ? children() : null}
    </details>
  );
}

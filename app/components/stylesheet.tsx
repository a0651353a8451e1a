/**
 * The app's stylesheet, written into every page the server renders instead of linked (decision 035): a linked one
 * is a request the browser must finish before it draws anything, and on a cold load that request waited behind the
 * page's scripts for 30–100 ms. It is 6 KB (2 KB compressed), and a signed-in admin loads a document only on a
 * cold start or a form post without JavaScript; every other screen is a client-side navigation.
 *
 * The server hands the file's text in through `StylesheetProvider` (read once at start, `server/stylesheets.ts`).
 * Where it has none (a server started without them, tests rendering pieces), the element is a `<link>` as before.
 * In the browser the text is taken from the element the server wrote, so hydration and any later render of the
 * document keep it.
 */
import { createContext, useContext } from "react";

const StylesheetContext = createContext<ReadonlyMap<string, string> | undefined>(undefined);
export const StylesheetProvider = StylesheetContext.Provider;

const fromPage = new Map<string, string | null>();

/** The CSS the server wrote for `href`, or null when it linked the file (read once per document). */
function writtenByServer(href: string): string | null {
  if (!fromPage.has(href)) {
    const el = document.querySelector(`style[data-href="${CSS.escape(href)}"]`);
    fromPage.set(href, el ? (el.textContent ?? "") : null);
  }
  return fromPage.get(href)!;
}

export function Stylesheet({ href }: { href: string }) {
  const given = useContext(StylesheetContext);
  const css = typeof document === "undefined" ? (given?.get(href) ?? null) : writtenByServer(href);
  return css === null ? <link rel="stylesheet" href={href} /> : <style data-href={href} dangerouslySetInnerHTML={{ __html: css }} />;
}

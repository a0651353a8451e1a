/**
 * Server rendering, plus the headers every answer carries: Server-Timing (database and homeserver time, so a slow
 * page says why in the browser's own tools) and the security headers.
 */
import crypto from "node:crypto";
import { PassThrough } from "node:stream";
import type { AppLoadContext, EntryContext, HandleDataRequestFunction, HandleErrorFunction } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { RemixServer, isRouteErrorResponse } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { NonceProvider } from "./components/nonce";
import { StylesheetProvider } from "./components/stylesheet";

const ABORT_DELAY = 10_000;

function newCspNonce(): string {
  return crypto.randomBytes(16).toString("base64");
}

function addStandardHeaders(headers: Headers, context: AppLoadContext | undefined) {
  if (context?.timing) {
    const t = context.timing;
    headers.append("Server-Timing", `db;desc="Steward database";dur=${t.dbMs.toFixed(1)}, hs;desc="Homeserver";dur=${t.hsMs.toFixed(1)}`);
  }
  if (!headers.has("X-Content-Type-Options")) headers.set("X-Content-Type-Options", "nosniff");
  if (!headers.has("Referrer-Policy")) headers.set("Referrer-Policy", "same-origin");
  if (!headers.has("X-Frame-Options")) headers.set("X-Frame-Options", "DENY");
}

/**
 * Errors Remix reports, as the log's one-JSON-object-per-line (issue 14, item 19). Remix's default printed every
 * 404 (`/wp-login.php`) as a multi-line stack trace, in production too. A 4xx answer is not an error of Steward's:
 * the request line (server/steward.ts, level info, with its status) already records it, so nothing more is written.
 * Anything else is one error line, its stack inside the JSON.
 */
export const handleError: HandleErrorFunction = (error, { request, context }) => {
  if (request.signal.aborted) return;
  if (isRouteErrorResponse(error) && error.status < 500) return;
  logError(context, "request failed", error, request);
};

function logError(context: AppLoadContext | undefined, msg: string, error: unknown, request?: Request) {
  const inner = isRouteErrorResponse(error) ? ((error as unknown as { error?: unknown }).error ?? error) : error;
  const fields = {
    requestId: context?.requestId,
    ...(request ? { method: request.method, path: new URL(request.url).pathname } : {}),
    error: inner instanceof Error ? inner.message : String(isRouteErrorResponse(inner) ? `${inner.status} ${inner.statusText}` : inner),
    ...(inner instanceof Error && inner.stack ? { stack: inner.stack } : {}),
  };
  if (context?.steward?.log) context.steward.log.error(msg, fields);
  else process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level: "error", msg, ...fields }) + "\n");
}

export const handleDataRequest: HandleDataRequestFunction = (response, { context }) => {
  addStandardHeaders(response.headers, context);
  return response;
};

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  addStandardHeaders(responseHeaders, loadContext);
  // Signed-in pages (user data, invite links, the CSRF token) and the sign-in form must not stay in any cache.
  if (remixContext.staticHandlerContext.matches.some((m) => m.route.id === "routes/_app" || m.route.id === "routes/login"))
    responseHeaders.set("Cache-Control", "no-store");
  // A 503 page (database unavailable) tells clients and proxies when to come back.
  if (responseStatusCode === 503 && !responseHeaders.has("Retry-After")) responseHeaders.set("Retry-After", "10");
  // Remix inlines its route manifest and hydration data as scripts: a fresh nonce per response lets exactly those
  // run, with no 'unsafe-inline' for scripts. (Inline style attributes, e.g. progress bars, still need styles.)
  // The server makes it per request (the page cache puts a fresh one into every stored page it serves).
  const nonce = loadContext?.cspNonce ?? newCspNonce();
  responseHeaders.set(
    "Content-Security-Policy",
    `default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'nonce-${nonce}'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'`,
  );
  const bot = isbot(request.headers.get("user-agent") ?? "");
  return new Promise((resolve, reject) => {
    let shellRendered = false;
    const app = (
      <NonceProvider value={nonce}>
        <StylesheetProvider value={loadContext?.steward?.stylesheets}>
          <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} nonce={nonce} />
        </StylesheetProvider>
      </NonceProvider>
    );
    const { pipe, abort } = renderToPipeableStream(app, {
      nonce,
      [bot ? "onAllReady" : "onShellReady"]() {
        shellRendered = true;
        const body = new PassThrough();
        responseHeaders.set("Content-Type", "text/html; charset=utf-8");
        resolve(new Response(createReadableStreamFromReadable(body) as unknown as BodyInit, { headers: responseHeaders, status: responseStatusCode }));
        pipe(body);
      },
      onShellError(error: unknown) {
        reject(error);
      },
      onError(error: unknown) {
        responseStatusCode = 500;
        if (shellRendered) logError(loadContext, "rendering failed", error, request);
      },
    });
    setTimeout(abort, ABORT_DELAY);
  });
}

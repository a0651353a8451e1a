/**
 * Server rendering, plus the headers every answer carries: Server-Timing (database and homeserver time, so a slow
 * page says why in the browser's own tools) and the security headers.
 */
import { PassThrough } from "node:stream";
import type { AppLoadContext, EntryContext, HandleDataRequestFunction } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";

const ABORT_DELAY = 10_000;

function addStandardHeaders(headers: Headers, context: AppLoadContext | undefined) {
  if (context?.timing) {
    const t = context.timing;
    headers.append("Server-Timing", `db;desc="Steward database";dur=${t.dbMs.toFixed(1)}, hs;desc="Homeserver";dur=${t.hsMs.toFixed(1)}`);
  }
  if (!headers.has("X-Content-Type-Options")) headers.set("X-Content-Type-Options", "nosniff");
  if (!headers.has("Referrer-Policy")) headers.set("Referrer-Policy", "same-origin");
  if (!headers.has("X-Frame-Options")) headers.set("X-Frame-Options", "DENY");
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
  responseHeaders.set(
    "Content-Security-Policy",
    // Remix inlines its route manifest; 'unsafe-inline' for scripts is tightened with nonces in the hardening work.
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  );
  const bot = isbot(request.headers.get("user-agent") ?? "");
  return new Promise((resolve, reject) => {
    let shellRendered = false;
    const { pipe, abort } = renderToPipeableStream(<RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} />, {
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
        if (shellRendered) console.error(error);
      },
    });
    setTimeout(abort, ABORT_DELAY);
  });
}

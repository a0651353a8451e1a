/**
 * Test helpers for the homeserver client unit tests: a tiny node:http server (port 0) driven by a handler,
 * recording every request, plus an instant `sleep` that records the waits. Not the simulator on purpose.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";
import { HomeserverError } from "~/homeserver/errors";

export interface SeenRequest {
  method: string;
  /** Raw path + query exactly as received (percent-encoding preserved). */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface Reply {
  status?: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
  /** Never answer (for timeouts). */
  hang?: boolean;
}

export type Handler = (req: SeenRequest, index: number) => Reply | Promise<Reply>;

export interface FakeServer {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export async function startFake(handler: Handler): Promise<FakeServer> {
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let body: unknown = undefined;
      if (raw) {
        try {
          body = JSON.parse(raw);
        } catch {
          body = raw;
        }
      }
      const u = new URL(req.url ?? "/", "http://x");
      const seen: SeenRequest = { method: req.method ?? "", url: req.url ?? "", path: u.pathname, query: u.searchParams, headers: req.headers, body };
      requests.push(seen);
      const reply = await handler(seen, requests.length - 1);
      if (reply.hang) return;
      const headers: Record<string, string> = { ...(reply.headers ?? {}) };
      let payload = reply.text ?? "";
      if (reply.json !== undefined) {
        headers["content-type"] ??= "application/json";
        payload = JSON.stringify(reply.json);
      }
      res.writeHead(reply.status ?? 200, headers);
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An injected sleep that resolves at once and records the requested waits. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

/** A port that was just free: connecting to it is refused. */
export async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export const TOKEN = "syt_c2VjcmV0_TOPSECRETtokenValue_1a2b3c";

/** The HomeserverError a call fails with (the test fails if it succeeds or throws anything else). */
export async function homeserverFailure(p: Promise<unknown>): Promise<HomeserverError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(HomeserverError);
    return e as HomeserverError;
  }
  throw new Error("expected the call to fail");
}

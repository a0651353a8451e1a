/**
 * The HTTP transport under HomeserverHttp: node:http(s) with a keep-alive pool instead of the global fetch.
 *
 * Why: a posture scan makes two calls per user (20,000 for 10,000 users), and fetch's WHATWG machinery (Request
 * and Response objects, web streams, AbortSignal plumbing) cost a sixth of the scanner's CPU in profiles — more than
 * the JSON parsing and the signature checks together. This is the small subset HomeserverHttp needs: one request,
 * the status, header lookup and the body as text. Redirects are never followed here (authenticated calls must not
 * follow them); unauthenticated calls that may follow redirects (discovery) still use fetch.
 *
 * Non-idempotent calls get a fresh connection: a pooled socket the server closed a moment ago fails with
 * ECONNRESET, which is safe to retry for a read but not for a POST that may have been applied.
 */
import http from "node:http";
import https from "node:https";

/** What HomeserverHttp reads from a response; fetch's Response satisfies it too. */
export interface TransportResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface TransportRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /**
   * No complete answer (headers and whole body) within this many ms: the request is destroyed and fails with a
   * TransportTimeout. A timer here rather than an AbortSignal: the signal's listeners and event targets were ~5 % of
   * a posture scan's CPU, one set per request.
   */
  timeoutMs: number;
  /** May this reuse a pooled connection? */
  reuse: boolean;
}

/** The answer did not complete within TransportRequest.timeoutMs. */
export class TransportTimeout extends Error {
  readonly code = "ETIMEDOUT";
  constructor(readonly timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
  }
}

// A connection pool, not application state: two copies of this module (server and bundle) just mean two pools.
const pools = {
  "http:": new http.Agent({ keepAlive: true, keepAliveMsecs: 1000, maxFreeSockets: 16 }),
  "https:": new https.Agent({ keepAlive: true, keepAliveMsecs: 1000, maxFreeSockets: 16 }),
};

export function nodeRequest(url: string, init: TransportRequest): Promise<TransportResponse> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch (e) {
      return reject(e);
    }
    const protocol = target.protocol;
    if (protocol !== "http:" && protocol !== "https:") return reject(new TypeError(`unsupported protocol ${protocol}`));
    const headers: Record<string, string | number> = { ...init.headers };
    if (init.body !== undefined) headers["Content-Length"] = Buffer.byteLength(init.body);
    const options: http.RequestOptions = {
      method: init.method,
      headers,
      agent: init.reuse ? pools[protocol] : false,
    };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new TransportTimeout(init.timeoutMs));
    }, init.timeoutMs);
    const req = (protocol === "https:" ? https : http).request(target, options, (res) => {
      const chunks: Buffer[] = [];
      const body = new Promise<string>((done, fail) => {
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          clearTimeout(timer);
          const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString("utf8");
          // As fetch's text(): a UTF-8 byte order mark is not part of the text.
          done(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
        });
        const cutOff = (err: Error) => {
          clearTimeout(timer);
          fail(timedOut ? new TransportTimeout(init.timeoutMs) : err);
        };
        res.on("error", cutOff);
        res.on("aborted", () => cutOff(Object.assign(new Error("the response was cut off"), { code: "ECONNRESET" })));
      });
      body.catch(() => {}); // observed through text(); a caller that never reads it must not leave it unhandled
      resolve({
        status: res.statusCode ?? 0,
        headers: {
          get(name: string) {
            const v = res.headers[name.toLowerCase()];
            return v === undefined ? null : Array.isArray(v) ? v.join(", ") : String(v);
          },
        },
        text: () => body,
      });
    });
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(timedOut ? new TransportTimeout(init.timeoutMs) : err);
    });
    req.end(init.body);
  });
}

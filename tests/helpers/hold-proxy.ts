/**
 * A pass-through HTTP proxy in front of the simulator that can "hold" a request: it forwards it, lets the
 * homeserver act on it, then never answers the caller. That is the most dangerous moment to die — the homeserver
 * has done the work and Steward does not know yet — and the crash-safety tests kill the child exactly there.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface HoldProxy {
  url: string;
  /** Holds the `nth` (1-based) request matching; resolves once the homeserver has answered it. */
  hold(match: (method: string, path: string) => boolean, nth?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startHoldProxy(target: string): Promise<HoldProxy> {
  let rule: { match: (m: string, p: string) => boolean; left: number; done: () => void } | null = null;
  const sockets = new Set<import("node:net").Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const method = req.method ?? "GET";
      const pathOnly = (req.url ?? "/").split("?")[0];
      let held = false;
      if (rule && rule.match(method, pathOnly) && --rule.left === 0) held = true;
      try {
        const upstream = await fetch(target + (req.url ?? "/"), {
          method,
          headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => !["host", "connection", "content-length"].includes(k)) as [string, string][]),
          body: chunks.length ? Buffer.concat(chunks) : undefined,
        });
        const body = Buffer.from(await upstream.arrayBuffer());
        if (held) {
          const r = rule!;
          rule = null;
          r.done(); // the homeserver did it; the caller never hears back
          return;
        }
        res.writeHead(upstream.status, { "Content-Type": upstream.headers.get("content-type") ?? "application/json" }).end(body);
      } catch {
        res.destroy();
      }
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hold(match, nth = 1) {
      return new Promise<void>((done) => (rule = { match, left: nth, done }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

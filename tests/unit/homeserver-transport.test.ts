// The node:http transport under HomeserverHttp, against a raw server: pooled connections for reads and fresh ones
// for writes, bodies cut off or stalled mid-way, a byte order mark, and headers as fetch would show them.
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { HomeserverHttp } from "~/homeserver/http";
import { nodeRequest } from "~/homeserver/transport";
import { homeserverFailure } from "./homeserver-fake";

let server: http.Server | undefined;
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  if (server) await new Promise((r) => server!.close(r));
  server = undefined;
});

async function serve(handler: http.RequestListener): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  server = http.createServer(handler);
  server.on("connection", (s) => {
    connections++;
    sockets.add(s);
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections };
}

const client = (url: string, timeoutMs = 2000) => new HomeserverHttp({ baseUrl: url, accessToken: "t0ken", maxRetries: 0, timeoutMs });


describe("homeserver transport", () => {
  it("reuses one connection for sequential reads and opens a fresh one for each write", async () => {
    const { url, connections } = await serve((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ method: req.method })));
    });
    const hs = client(url);
    for (let i = 0; i < 5; i++) expect(await hs.get("/read")).toEqual({ method: "GET" });
    expect(connections()).toBe(1);
    for (let i = 0; i < 3; i++) expect(await hs.post("/write", { body: { i } })).toEqual({ method: "POST" });
    expect(connections()).toBe(4);
  });

  it("sends the JSON body with its length and the bearer token", async () => {
    let seen: { body: string; length?: string; auth?: string; type?: string } | undefined;
    const { url } = await serve((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        seen = { body, length: req.headers["content-length"], auth: req.headers.authorization, type: req.headers["content-type"] };
        res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
      });
    });
    await client(url).post("/x", { body: { name: "Zoë ✓" } });
    expect(seen).toEqual({ body: '{"name":"Zoë ✓"}', length: String(Buffer.byteLength('{"name":"Zoë ✓"}')), auth: "Bearer t0ken", type: "application/json" });
  });

  it("a body cut off mid-way is unreachable, not a hang and not a parse of half the JSON", async () => {
    const { url } = await serve((req, res) => {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "1000" });
      res.write('{"users": [');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const e = await homeserverFailure(client(url).get("/cut"));
    expect(e.kind).toBe("unreachable");
  });

  it("a body that stalls past the timeout is a timeout", async () => {
    const { url } = await serve((req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.write('{"a":');
    });
    const e = await homeserverFailure(client(url, 150).get("/stall"));
    expect(e.kind).toBe("timeout");
    expect(e.timeoutMs).toBe(150);
  });

  it("a server that never answers is a timeout, on reads and on writes", async () => {
    const { url } = await serve(() => {
      /* never answers */
    });
    for (const call of [() => client(url, 100).get("/silent"), () => client(url, 100).post("/silent", { body: {} })]) {
      const e = await homeserverFailure(call());
      expect(e.kind).toBe("timeout");
      expect(e.timeoutMs).toBe(100);
    }
  });

  it("a timer that is not due does not cut a slow but complete answer short", async () => {
    const { url } = await serve((req, res) => {
      setTimeout(() => res.writeHead(200, { "Content-Type": "application/json" }).end('{"ok":true}'), 60);
    });
    expect(await client(url, 1_000).get("/slow")).toEqual({ ok: true });
  });

  it("drops a UTF-8 byte order mark, as fetch does, and decodes UTF-8 split across chunks", async () => {
    const { url } = await serve((req, res) => {
      const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"displayname":"Zoë 🌍"}')]);
      res.writeHead(200, { "Content-Type": "application/json" });
      // Split inside the multi-byte emoji.
      res.write(bytes.subarray(0, bytes.length - 4));
      setTimeout(() => res.end(bytes.subarray(bytes.length - 4)), 10);
    });
    expect(await client(url).get("/bom")).toEqual({ displayname: "Zoë 🌍" });
  });

  it("shows repeated headers joined and looks names up case-insensitively", async () => {
    const { url } = await serve((req, res) => {
      res.setHeader("X-Thing", ["a", "b"]);
      res.writeHead(204).end();
    });
    const r = await nodeRequest(`${url}/h`, { method: "GET", headers: {}, timeoutMs: 5_000, reuse: false });
    expect(r.status).toBe(204);
    expect(r.headers.get("x-thing")).toBe("a, b");
    expect(r.headers.get("X-THING")).toBe("a, b");
    expect(r.headers.get("x-missing")).toBeNull();
    expect(await r.text()).toBe("");
  });

  it("refuses URLs that are not http(s)", async () => {
    await expect(nodeRequest("file:///etc/passwd", { method: "GET", headers: {}, timeoutMs: 5_000, reuse: true })).rejects.toThrow(/unsupported protocol/);
  });
});

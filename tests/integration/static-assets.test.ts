/**
 * The build's scripts and stylesheets are sent from the copies compressed at build time (decision 037): brotli to a
 * browser that accepts it (Chromium lists gzip first, all equal: brotli is still chosen), gzip to one that takes only
 * gzip, the plain file otherwise; each decodes to the built file, with the long-lived cache headers either way.
 * Raw HTTP here, so that nothing decodes the bodies on the way.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import { startTestSteward, type TestSteward } from "../helpers/steward";

const BUILD = path.resolve("public", "build");

function get(url: string, acceptEncoding?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: acceptEncoding === undefined ? {} : { "accept-encoding": acceptEncoding } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on("error", reject);
  });
}

describe("built scripts and stylesheets", () => {
  let sim: Simulator;
  let steward: TestSteward;
  let script: string;
  let stylesheet: string;
  beforeAll(async () => {
    sim = await startSimulator({ users: 2 });
    steward = await startTestSteward({ homeserverUrl: sim.url });
    // The largest shared chunk (React and Remix), and the app's stylesheet.
    const shared = fs.readdirSync(path.join(BUILD, "_shared")).filter((n) => n.endsWith(".js"));
    script = "_shared/" + shared.sort((a, b) => fs.statSync(path.join(BUILD, "_shared", b)).size - fs.statSync(path.join(BUILD, "_shared", a)).size)[0];
    stylesheet = "_assets/" + fs.readdirSync(path.join(BUILD, "_assets")).find((n) => n.endsWith(".css"))!;
  });
  afterAll(async () => {
    await steward?.close();
    await sim?.close();
  });

  it("sends brotli to a browser that accepts it, decoding to the built file, cached for a year", async () => {
    const built = fs.readFileSync(path.join(BUILD, script));
    const r = await get(`${steward.url}/build/${script}`, "gzip, deflate, br, zstd");
    expect(r.status).toBe(200);
    expect(r.headers["content-encoding"]).toBe("br");
    expect(r.headers["content-type"]).toMatch(/^(application|text)\/javascript/);
    expect(r.headers["cache-control"]).toContain("immutable");
    expect(r.headers["cache-control"]).toContain("max-age=31536000");
    expect(r.headers.vary).toMatch(/Accept-Encoding/i);
    expect(r.body.length).toBeLessThan(built.length / 2);
    expect(zlib.brotliDecompressSync(r.body).equals(built)).toBe(true);
  });

  it("sends gzip to one that takes only gzip, and the plain file to one that takes neither", async () => {
    const built = fs.readFileSync(path.join(BUILD, stylesheet));
    const gz = await get(`${steward.url}/build/${stylesheet}`, "gzip");
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gz.headers["content-type"]).toMatch(/^text\/css/);
    expect(zlib.gunzipSync(gz.body).equals(built)).toBe(true);
    for (const plain of [await get(`${steward.url}/build/${stylesheet}`, "identity"), await get(`${steward.url}/build/${stylesheet}`)]) {
      expect(plain.status).toBe(200);
      expect(plain.headers["content-encoding"]).toBeUndefined();
      expect(plain.headers["cache-control"]).toContain("immutable");
      expect(plain.body.equals(built)).toBe(true);
    }
  });

  it("serves nothing but the build: unknown names and paths out of it are not found", async () => {
    expect((await get(`${steward.url}/build/_shared/no-such-chunk.js`, "br")).status).toBe(404);
    expect((await get(`${steward.url}/build/..%2fpackage.json`, "br")).status).toBe(404);
    // The compressed copies are reached through their file's name only.
    expect((await get(`${steward.url}/build/${script}.br`, "br")).status).toBe(404);
    expect((await get(`${steward.url}/build/${stylesheet}.gz`)).status).toBe(404);
  });
});

/**
 * Stored pages' gzip assembled from parts deflated once and a fresh nonce per answer (page-cache/gzip.server.ts):
 * zlib's own gunzip (which checks the CRC and length in the trailer) must read back exactly the page with that nonce,
 * for any text, any number of nonces, empty parts, and pages larger than one deflate window.
 */
import zlib from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gzipTemplate, gzipWithNonce } from "../../app/services/page-cache/gzip.server";

describe("gzipWithNonce", () => {
  it("decompresses to the parts joined with the nonce (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme", maxLength: 400 }), { minLength: 1, maxLength: 6 }), fc.base64String({ minLength: 0, maxLength: 44 }), (parts, nonce) => {
        const gz = gzipWithNonce(gzipTemplate(parts), nonce);
        expect(zlib.gunzipSync(gz).toString("utf8")).toBe(parts.join(nonce));
      }),
      { numRuns: 300 },
    );
  });

  it("handles a page far larger than the deflate window, and a different nonce each time from one template", () => {
    const row = (i: number) => `<tr><td>@user${i}:example.org</td><td>Ünïcødé ${i % 97}</td></tr>\n`;
    const big = Array.from({ length: 3000 }, (_, i) => row(i)).join("");
    const parts = [`<html><script nonce="`, `">x</script>${big}<script nonce="`, `"></script></html>`];
    const template = gzipTemplate(parts);
    for (const nonce of ["AAAA", "b64+/==", "Zm9vYmFyYmF6cXV4MTIzNA=="]) {
      const gz = gzipWithNonce(template, nonce);
      expect(gz.length).toBeLessThan(Buffer.byteLength(big) / 4); // really compressed
      expect(zlib.gunzipSync(gz).toString("utf8")).toBe(parts.join(nonce));
    }
  });

  it("produces a stream that a corrupted trailer breaks (the CRC is really checked)", () => {
    const gz = gzipWithNonce(gzipTemplate(["a", "b"]), "N");
    gz[gz.length - 8] ^= 0xff;
    expect(() => zlib.gunzipSync(gz)).toThrow();
  });
});

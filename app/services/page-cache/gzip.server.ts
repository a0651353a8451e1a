/**
 * Gzip for stored pages without compressing them again for every answer (decision 010). Each stored page differs
 * per answer only in its CSP nonce, so the parts between nonces are deflated once, each ending on a byte boundary
 * (a sync flush, RFC 1951 §3.2.4), and an answer is assembled from them with the fresh nonce in between as stored
 * (uncompressed) blocks, an empty final block, and the gzip header and trailer (RFC 1952) around it. Concatenating
 * sync-flushed deflate output this way is valid: no part refers back into another (each was compressed alone).
 * Compressing a page per answer was the largest single cost of serving it from the store.
 */
import zlib from "node:zlib";

export interface GzipTemplate {
  /** The body's parts between nonces, as UTF-8 (for the CRC) and deflated (each ending with a sync flush). */
  raw: Buffer[];
  deflated: Buffer[];
}

/** gzip header: magic, deflate, no flags, no mtime, no extra flags, OS unknown. */
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]);
/** The last block: stored, final, empty. */
const FINAL_BLOCK = Buffer.from([0x01, 0x00, 0x00, 0xff, 0xff]);

export function gzipTemplate(parts: Array<string | Buffer>): GzipTemplate {
  const raw = parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : p));
  const deflated = raw.map((r) => zlib.deflateRawSync(r, { finishFlush: zlib.constants.Z_SYNC_FLUSH }));
  return { raw, deflated };
}

/** A stored (uncompressed) non-final block holding `data` (at most 65,535 bytes), starting on a byte boundary. */
function storedBlock(data: Buffer): Buffer {
  const len = data.length;
  const head = Buffer.from([0x00, len & 0xff, len >> 8, ~len & 0xff, (~len >> 8) & 0xff]);
  return Buffer.concat([head, data]);
}

/**
 * zlib.crc32 continued from `crc`. An empty buffer leaves it as it is: Node passes an empty buffer with no memory
 * behind it as a null pointer, for which zlib answers its initial value (0) instead of `crc`.
 */
function crc32(data: Buffer, crc: number): number {
  return data.length ? zlib.crc32(data, crc) : crc;
}

/** The gzip member of the stored body with `nonce` between its parts. */
export function gzipWithNonce(template: GzipTemplate, nonce: string): Buffer {
  const n = Buffer.from(nonce, "utf8");
  if (n.length > 0xffff) throw new Error("nonce too long for one stored block");
  const nonceBlock = storedBlock(n);
  const pieces: Buffer[] = [HEADER];
  let crc = 0;
  let size = 0;
  template.deflated.forEach((d, i) => {
    if (i > 0) {
      pieces.push(nonceBlock);
      crc = crc32(n, crc);
      size += n.length;
    }
    pieces.push(d);
    crc = crc32(template.raw[i], crc);
    size += template.raw[i].length;
  });
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size >>> 0, 4);
  pieces.push(FINAL_BLOCK, trailer);
  return Buffer.concat(pieces);
}

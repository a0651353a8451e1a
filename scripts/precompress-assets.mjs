// Writes a brotli (.br) and a gzip (.gz) copy next to every script and stylesheet in public/build, once per build,
// so the server sends them as they are instead of compressing each answer again (server/precompressed.ts,
// decision 037). The chart chunk alone (~500 KB) took 13–28 ms of the server's CPU per request.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const root = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "public", "build");

function* files(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (/\.(js|css)$/.test(e.name)) yield p;
  }
}

let raw = 0;
let br = 0;
let count = 0;
for (const file of files(root)) {
  const body = fs.readFileSync(file);
  const brotli = zlib.brotliCompressSync(body, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT },
  });
  fs.writeFileSync(file + ".br", brotli);
  fs.writeFileSync(file + ".gz", zlib.gzipSync(body, { level: 9 }));
  raw += body.length;
  br += brotli.length;
  count++;
}
console.log(`precompressed ${count} files: ${(raw / 1024).toFixed(0)} KB → ${(br / 1024).toFixed(0)} KB brotli`);

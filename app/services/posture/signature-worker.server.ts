/**
 * ed25519 signature checks on a worker thread, for the posture scan.
 *
 * Why: one verification per device and per self-signing key was the largest single cost of a scan (~4 s of CPU
 * for 10,000 users), all on the thread that also answers Steward's pages and the scan's own HTTP responses. The
 * checks of a user are known as soon as the page's key query arrives, so they run on another core while that
 * user's devices and account data are fetched. The canonical JSON (what a signature covers) is still built here:
 * only bytes cross the thread boundary, so the worker is a few lines of plain JavaScript with no imports of ours —
 * it runs as an `eval` worker, the same under tsx, vitest and the bundled server.
 *
 * Any worker failure falls back to verifying on this thread: a check is never skipped.
 */
import os from "node:os";
import { Worker } from "node:worker_threads";
import { signatureInputs, verifySignature } from "./canonical-json.server";
import { sodiumModulePath } from "./ed25519.server";

/** One check: does `obj.signatures[signer][keyId]` verify with `publicKeyBase64`? */
export interface SignatureCheck {
  obj: Record<string, unknown>;
  signer: string;
  keyId: string;
  publicKeyBase64: string;
}

type Job = { data: Uint8Array; sig: Uint8Array; key: Uint8Array };

// libsodium when the main thread loaded it (its resolved path comes as workerData), else OpenSSL: the same choice as
// ed25519.server.ts, so a check gives the same answer on either thread.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const crypto = require("node:crypto");
let sodium = null;
if (workerData.sodiumPath) { try { sodium = require(workerData.sodiumPath); } catch {} }
const keys = new Map();
function opensslKey(raw) {
  const x = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("base64url");
  let k = keys.get(x);
  if (k === undefined) {
    try { k = crypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" }); } catch { k = null; }
    if (keys.size > 5000) keys.clear();
    keys.set(x, k);
  }
  return k;
}
function verify(j) {
  try {
    if (sodium) return sodium.crypto_sign_verify_detached(j.sig, j.data, j.key);
    const k = opensslKey(j.key);
    return k ? crypto.verify(null, j.data, k, j.sig) : false;
  } catch { return false; }
}
parentPort.on("message", ({ id, jobs }) => {
  parentPort.postMessage({ id, out: jobs.map(verify) });
});
`;

/**
 * How many verifier threads: every core but the one this thread needs, at least 1, at most 3. Verification is the
 * scan's largest cost (ed25519 at OpenSSL's speed, ~70 µs a signature on the benchmark machine: ~16 s of CPU for
 * 100,000 users with their devices). On 2 cores a second worker only competes with this thread and the databases
 * for the same two cores (measured: 23.3 s with one, 22.8 s with two, and 20 MB more memory).
 */
export function verifierThreads(): number {
  return Math.max(1, Math.min(3, os.availableParallelism() - 1));
}

export class SignatureVerifier {
  /** One slot per thread: its worker (null: gone, that share is checked here) and the messages it owes. */
  #workers: Array<{ worker: Worker; owed: Set<number> } | null> = [];
  #next = 0;
  #pending = new Map<number, { resolve(r: boolean[]): void; reject(e: Error): void }>();
  #closed = false;
  readonly #threads: number;

  constructor(threads = verifierThreads()) {
    this.#threads = Math.max(1, threads);
  }

  /** Results in the order of `checks`. Malformed checks are false without leaving this thread. */
  async verifyAll(checks: SignatureCheck[]): Promise<boolean[]> {
    const results: boolean[] = new Array(checks.length).fill(false);
    const jobs: Job[] = [];
    const slots: number[] = [];
    checks.forEach((c, i) => {
      const job = prepare(c);
      if (job) {
        jobs.push(job);
        slots.push(i);
      }
    });
    if (!jobs.length) return results;
    // Contiguous shares, one per thread (few checks: fewer threads, a message costs more than a handful of checks).
    const parts = Math.max(1, Math.min(this.#threads, Math.ceil(jobs.length / 64)));
    const size = Math.ceil(jobs.length / parts);
    const shares = await Promise.all(
      Array.from({ length: parts }, async (_, p) => {
        const from = p * size;
        const share = jobs.slice(from, from + size);
        try {
          return await this.#send(p, share);
        } catch {
          // That worker is gone (or could not start): check its share here instead.
          return slots.slice(from, from + size).map((i) => verifySignature(checks[i].obj, checks[i].signer, checks[i].keyId, checks[i].publicKeyBase64));
        }
      }),
    );
    const out = shares.flat();
    slots.forEach((slot, j) => (results[slot] = out[j] === true));
    return results;
  }

  /** Stops the workers; later calls verify on this thread. */
  async close(): Promise<void> {
    this.#closed = true;
    const ws = this.#workers;
    this.#workers = [];
    await Promise.all(ws.map((w) => w?.worker.terminate()));
  }

  #send(slot: number, jobs: Job[]): Promise<boolean[]> {
    const w = this.#ensure(slot);
    if (!w) return Promise.reject(new Error("no worker"));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      w.owed.add(id);
      w.worker.postMessage({ id, jobs });
    });
  }

  #ensure(slot: number): { worker: Worker; owed: Set<number> } | null {
    if (this.#closed) return null;
    if (this.#workers[slot] !== undefined) return this.#workers[slot];
    try {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { sodiumPath: sodiumModulePath() } });
      worker.unref(); // an idle verifier must not keep the process alive
      const entry = { worker, owed: new Set<number>() };
      worker.on("message", ({ id, out }: { id: number; out: boolean[] }) => {
        this.#pending.get(id)?.resolve(out);
        this.#pending.delete(id);
        entry.owed.delete(id);
      });
      const fail = (e: Error) => {
        if (this.#workers[slot] === entry) this.#workers[slot] = null; // this share is checked here from now on
        for (const id of entry.owed) {
          this.#pending.get(id)?.reject(e);
          this.#pending.delete(id);
        }
        entry.owed.clear();
      };
      worker.on("error", fail);
      worker.on("exit", (code) => fail(new Error(`signature worker exited (${code})`)));
      this.#workers[slot] = entry;
    } catch {
      this.#workers[slot] = null;
    }
    return this.#workers[slot];
  }
}

/** The bytes the worker needs, or null when the check cannot pass. */
function prepare(c: SignatureCheck): Job | null {
  const inputs = signatureInputs(c.obj, c.signer, c.keyId, c.publicKeyBase64);
  return inputs && { data: inputs.data, sig: inputs.sig, key: inputs.rawKey };
}

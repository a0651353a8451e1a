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
import { Worker } from "node:worker_threads";
import { signatureInputs, verifySignature } from "./canonical-json.server";

/** One check: does `obj.signatures[signer][keyId]` verify with `publicKeyBase64`? */
export interface SignatureCheck {
  obj: Record<string, unknown>;
  signer: string;
  keyId: string;
  publicKeyBase64: string;
}

type Job = { data: Uint8Array; sig: Uint8Array; x: string };

const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const crypto = require("node:crypto");
const keys = new Map();
function key(x) {
  let k = keys.get(x);
  if (k === undefined) {
    try { k = crypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" }); } catch { k = null; }
    if (keys.size > 5000) keys.clear();
    keys.set(x, k);
  }
  return k;
}
parentPort.on("message", ({ id, jobs }) => {
  const out = jobs.map((j) => {
    const k = key(j.x);
    if (!k) return false;
    try { return crypto.verify(null, j.data, k, j.sig); } catch { return false; }
  });
  parentPort.postMessage({ id, out });
});
`;

export class SignatureVerifier {
  #worker: Worker | null = null;
  #next = 0;
  #pending = new Map<number, { resolve(r: boolean[]): void; reject(e: Error): void }>();
  #failed = false;

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
    let out: boolean[];
    try {
      out = await this.#send(jobs);
    } catch {
      // The worker is gone (or could not start): check here instead.
      out = slots.map((i) => verifySignature(checks[i].obj, checks[i].signer, checks[i].keyId, checks[i].publicKeyBase64));
    }
    slots.forEach((slot, j) => (results[slot] = out[j] === true));
    return results;
  }

  /** Stops the worker; later calls verify on this thread. */
  async close(): Promise<void> {
    this.#failed = true;
    const w = this.#worker;
    this.#worker = null;
    await w?.terminate();
  }

  #send(jobs: Job[]): Promise<boolean[]> {
    const worker = this.#ensure();
    if (!worker) return Promise.reject(new Error("no worker"));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, jobs });
    });
  }

  #ensure(): Worker | null {
    if (this.#worker || this.#failed) return this.#worker;
    try {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.unref(); // an idle verifier must not keep the process alive
      w.on("message", ({ id, out }: { id: number; out: boolean[] }) => {
        this.#pending.get(id)?.resolve(out);
        this.#pending.delete(id);
      });
      const fail = (e: Error) => {
        this.#failed = true;
        this.#worker = null;
        for (const p of this.#pending.values()) p.reject(e);
        this.#pending.clear();
      };
      w.on("error", fail);
      w.on("exit", (code) => fail(new Error(`signature worker exited (${code})`)));
      this.#worker = w;
    } catch {
      this.#failed = true;
    }
    return this.#worker;
  }
}

/** The bytes the worker needs, or null when the check cannot pass. */
function prepare(c: SignatureCheck): Job | null {
  const inputs = signatureInputs(c.obj, c.signer, c.keyId, c.publicKeyBase64);
  return inputs && { data: inputs.data, sig: inputs.sig, x: inputs.rawKey.toString("base64url") };
}

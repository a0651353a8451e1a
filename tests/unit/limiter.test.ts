/**
 * The homeserver call limiter (posture/limiter.server.ts): never more than n calls at once — also in the moment a call ends
 * and hands its slot to the next in line — FIFO order, priority first, and close() refusing whatever still waits.
 */
import { describe, expect, it } from "vitest";
import { Limiter, LimiterClosedError } from "../../app/services/posture/limiter.server";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("Limiter", () => {
  it("hands an ending call's slot to the next in line: a newcomer in that moment waits (never n + 1 at once)", async () => {
    const limiter = new Limiter(1);
    let running = 0;
    let most = 0;
    const enter = () => {
      running++;
      most = Math.max(most, running);
    };
    const a = deferred();
    const b = deferred();
    const c = deferred();
    const order: string[] = [];
    void a.promise.then(() => running--); // A leaves first when it ends
    const runA = limiter.run(() => (enter(), a.promise));
    const runB = limiter.run(() => (enter(), order.push("b"), b.promise.then(() => running--)));
    // Reacts to A's promise right after the limiter's own reaction: the moment A's slot is given up and before B
    // has resumed. A newcomer there must queue behind B, not start.
    const runC = a.promise.then(() => limiter.run(() => (enter(), order.push("c"), c.promise.then(() => running--))));
    a.resolve();
    await runA;
    b.resolve();
    c.resolve();
    await Promise.all([runB, runC]);
    expect(most).toBe(1);
    expect(order).toEqual(["b", "c"]);
    expect(limiter.active).toBe(0);
  });

  it("runs at most n at once, in FIFO order, priority calls first", async () => {
    const limiter = new Limiter(2);
    const gates = Array.from({ length: 6 }, deferred);
    const started: number[] = [];
    const runs = [0, 1, 2, 3].map((i) => limiter.run(async () => (started.push(i), gates[i].promise)));
    const urgent = limiter.run(async () => (started.push(5), gates[5].promise), { priority: true });
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    gates[0].resolve();
    await runs[0];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 5]);
    for (const g of gates) g.resolve();
    await Promise.all([...runs, urgent]);
    expect(started).toEqual([0, 1, 5, 2, 3]);
    expect(limiter.active).toBe(0);
  });

  it("a failing call frees its slot too", async () => {
    const limiter = new Limiter(1);
    await expect(limiter.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await limiter.run(async () => "next")).toBe("next");
    expect(limiter.active).toBe(0);
  });

  it("close() refuses the waiting calls and later ones; calls in flight finish", async () => {
    const limiter = new Limiter(1);
    const gate = deferred();
    const inFlight = limiter.run(() => gate.promise.then(() => "done"));
    const waiting = limiter.run(async () => "never");
    limiter.close();
    await expect(waiting).rejects.toBeInstanceOf(LimiterClosedError);
    await expect(limiter.run(async () => "later")).rejects.toBeInstanceOf(LimiterClosedError);
    gate.resolve();
    expect(await inFlight).toBe("done");
  });
});

/**
 * A counting semaphore for homeserver calls: at most `n` functions run at once, the rest wait in FIFO order.
 *
 * `priority` jumps the queue: the posture scan asks for the next page of users and its key query while the
 * current page's per-user calls are still queued, so the next page is ready before the current one drains and the
 * homeserver never sits idle between pages.
 *
 * `close()` refuses everything still waiting (calls in flight finish): a scan that stops between pages must not
 * leave queued calls running after it returned.
 */
export class LimiterClosedError extends Error {
  constructor() {
    super("the limiter was closed before this call started");
    this.name = "LimiterClosedError";
  }
}

type Waiter = { start(): void; refuse(e: Error): void };

export class Limiter {
  #active = 0;
  #queue: Waiter[] = [];
  #closed = false;
  constructor(readonly n: number) {}

  async run<T>(fn: () => Promise<T>, opts: { priority?: boolean } = {}): Promise<T> {
    if (this.#closed) throw new LimiterClosedError();
    if (this.#active >= this.n) {
      // The slot is handed over by the call that ends (still counted as active), so no newcomer can take it in the
      // moment between that call ending and this one resuming: never more than n at once.
      await new Promise<void>((start, refuse) => {
        const w: Waiter = { start, refuse };
        if (opts.priority) this.#queue.unshift(w);
        else this.#queue.push(w);
      });
    } else {
      this.#active++;
    }
    try {
      return await fn();
    } finally {
      const next = this.#queue.shift();
      if (next) next.start();
      else this.#active--;
    }
  }

  /** Refuses every waiting call with LimiterClosedError, and every later one. */
  close(): void {
    this.#closed = true;
    const waiting = this.#queue.splice(0);
    for (const w of waiting) w.refuse(new LimiterClosedError());
  }

  /** Calls running now (tests). */
  get active(): number {
    return this.#active;
  }
}

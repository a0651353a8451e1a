/**
 * The homeserver simulator in a child process (bench/simulator-child.ts), for the screens benchmark and its profiling
 * scripts. In the benchmark's own process the simulator shared an event loop with the browser's driver: every
 * answer to Steward waited behind Playwright's DevTools traffic, and "Refresh now" (20 pages of 5,000 accounts at
 * 100,000 users) measured the driver as much as Steward. A real homeserver is a process of its own.
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** What the benchmark asks of the simulator's world, besides its HTTP API. */
export type Request =
  | { op: "fillTo"; users: number } // adds realistic accounts (bench/seed.ts addAccounts) up to `users`; → the count
  | { op: "seedDestinations"; count: number } // adds federation destinations; → how many there are
  | { op: "addUser"; localpart: string } // → the new account's user id
  | { op: "requestCount" } // → requests received so far
  | { op: "requestMs"; from: number; path: string }; // → ms spent answering requests since `from` whose path matches

export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export interface SimulatorProcess {
  url: string;
  adminToken: string;
  serverName: string;
  ask<T>(request: Request): Promise<T>;
  close(): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));

export async function startSimulatorProcess(): Promise<SimulatorProcess> {
  const child: ChildProcess = fork(path.join(here, "simulator-child.ts"), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 0;
  const ready = await new Promise<{ url: string; adminToken: string; serverName: string }>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the simulator's process exited (${code}) before it was ready`)));
    child.on("message", (m: { ready: { url: string; adminToken: string; serverName: string } } | Reply) => {
      if ("ready" in m) return resolve(m.ready);
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(`simulator: ${m.error}`));
    });
  });
  child.removeAllListeners("exit");
  child.on("exit", (code) => {
    for (const p of pending.values()) p.reject(new Error(`the simulator's process exited (${code})`));
    pending.clear();
  });
  return {
    ...ready,
    ask<T>(request: Request): Promise<T> {
      const id = ++next;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, request });
      });
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.disconnect();
      await exited;
    },
  };
}

/**
 * Steward's own database: PostgreSQL through `pg` when DATABASE_URL is set, else embedded PGlite in the data
 * directory (one process only, guarded by a lock file). Both speak to the same drizzle schema and migrations.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AsyncLocalStorage } from "node:async_hooks";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import * as schema from "./schema/index";
import { acquireDataDirLock, type DataDirLock } from "./lockfile";
import { DEFAULT_PGLITE_SHARED_BUFFERS_MB } from "./pglite-memory";
import { openPgliteDataDir } from "./pglite-template";
import { PGLITE_EXTENSIONS } from "./pglite-extensions";
import { ensureSearchIndex, type SearchIndexState } from "./search-index";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

/** db/migrations, whether this module runs from db/ (tsx) or bundled into build/server.js. */
export const MIGRATIONS_FOLDER = [
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), "migrations"),
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "db", "migrations"),
].find((p) => fs.existsSync(path.join(p, "meta", "_journal.json")))!;

/** Per-request accounting of database time, read by the Server-Timing header. */
export interface TimingStore {
  dbMs: number;
  hsMs: number;
}
export const timingStorage = new AsyncLocalStorage<TimingStore>();

export interface Database {
  db: Db;
  kind: "pglite" | "postgres";
  /** Checks the database answers (readiness). */
  ping(): Promise<void>;
  /** Applies the migrations, then makes the optional search index (db/search-index.ts) and says whether it exists. */
  migrate(): Promise<{ searchIndex: SearchIndexState }>;
  /**
   * Runs fn while holding a named lock shared by every replica (a PostgreSQL session advisory lock; an
   * in-process mutex on PGlite, where there is one process anyway). Returns undefined when the lock is held elsewhere.
   */
  tryWithLock<T>(name: string, fn: () => Promise<T>): Promise<{ acquired: true; value: T } | { acquired: false }>;
  /**
   * Follows changes to page data (migration 0009: triggers NOTIFY `steward_data_changed` after each committed
   * change, from any process). The first call starts listening; later calls share it.
   */
  watchDataChanges(): Promise<DataChangeFeed>;
  close(): Promise<void>;
  /** How an embedded data directory came to be, when this open created it (decision 012); undefined otherwise. */
  created?: "template" | "initdb";
}

/** Committed changes to Steward's page data, as they happen (the rendered-page cache's invalidation, decision 010). */
export interface DataChangeFeed {
  /**
   * True while every change is being delivered. False while the listening connection is down (PostgreSQL restart,
   * network): changes may then be missed, so nothing may be served on the strength of "no change since".
   */
  readonly live: boolean;
  /**
   * Called after every committed change with the changed table's name (migration 0017; one call per table and
   * transaction), and with no name whenever `live` changes (anything may have changed). Returns an unsubscribe
   * function.
   */
  subscribe(listener: (table?: string) => void): () => void;
  /**
   * Resolves once every change committed before the call has reached the listeners: read-after-write for a change
   * made by another connection or process (on PostgreSQL, a round trip on the listening connection, which carries
   * the notifications in order ahead of its answer). Rejects when the feed is not live.
   */
  sync(): Promise<void>;
}

export const DATA_CHANGED_CHANNEL = "steward_data_changed";

/** A feed whose listeners are told of changes and of `live` flipping. */
function createFeed(sync: () => Promise<void>) {
  const listeners = new Set<(table?: string) => void>();
  const feed = {
    live: false,
    sync,
    subscribe(listener: (table?: string) => void) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    /** `payload` is the notification's: a table name, or empty from a server still on migration 0009's functions. */
    emit(payload?: string) {
      const table = payload || undefined;
      for (const l of listeners) {
        try {
          l(table);
        } catch {
          /* one listener's failure must not starve the others */
        }
      }
    },
    setLive(live: boolean) {
      if (feed.live === live) return;
      feed.live = live;
      feed.emit();
    },
  };
  return feed;
}

function timed<A extends unknown[], R>(fn: (...a: A) => Promise<R>): (...a: A) => Promise<R> {
  return async (...args: A) => {
    const store = timingStorage.getStore();
    if (!store) return fn(...args);
    const started = performance.now();
    try {
      return await fn(...args);
    } finally {
      store.dbMs += performance.now() - started;
    }
  };
}

/** Stable 32-bit key for an advisory lock name. */
export function lockKey(name: string): number {
  let h = 0x811c9dc5;
  for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return h | 0;
}

/** Is this the embedded database (PGlite, on this process's own thread) rather than a PostgreSQL server? */
export function isEmbedded(db: Db): boolean {
  return (db as unknown as { $client?: unknown }).$client instanceof PGlite;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL connection string; when absent the embedded database is used. */
  url?: string;
  /** Directory of the embedded database (ignored with url). Undefined with no url = in-memory (tests). */
  dataDir?: string;
  /** A ready PGlite instance (tests clone one from a migrated template). */
  pglite?: PGlite;
  poolSize?: number;
  /** The embedded database's shared_buffers in MB (PGLITE_SHARED_BUFFERS_MB; decision 011). */
  pgliteSharedBuffersMb?: number;
  /** A new data directory is unpacked from this archive; undefined = the build's (findTemplate), false = initdb. */
  pgliteTemplate?: string | false;
}

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  if (opts.url) return openPostgres(opts.url, opts.poolSize ?? 10);
  return openPglite(opts);
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  // Connections once opened are kept (min = max), not closed after 10 s idle (pg's default): a page after a quiet
  // spell — typically the overview right after signing in — opened up to ten new backends at once, each planning its
  // first queries cold, ~100 ms instead of ~20 on the 2-core host (issue 18, decision 032).
  const pool = new pg.Pool({ connectionString: url, max: poolSize, min: poolSize, connectionTimeoutMillis: 5_000 });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on("error", () => {});
  // Advisory locks hold their connection for a whole collector run. From the query pool, a few concurrent runs
  // would take every connection and then wait forever for one to run their own queries (found by
  // tests/integration/faults-homeserver.test.ts): locks get their own connections.
  const lockPool = new pg.Pool({ connectionString: url, max: 32, idleTimeoutMillis: 10_000, connectionTimeoutMillis: 5_000 });
  lockPool.on("error", () => {});
  const origQuery = pool.query.bind(pool) as (...a: unknown[]) => Promise<unknown>;
  (pool as unknown as { query: unknown }).query = timed(origQuery);
  const db = drizzlePg({ client: pool, schema }) as unknown as Db;
  let watching: Promise<DataChangeFeed> | undefined;
  let stopWatching: (() => Promise<void>) | undefined;
  return {
    db,
    kind: "postgres",
    watchDataChanges() {
      watching ??= (async () => {
        const w = watchPostgres(url);
        stopWatching = w.stop;
        await w.ready;
        await proveDelivery(w.feed, (payload) => pool.query("select pg_notify($1, $2)", [DATA_CHANGED_CHANNEL, payload]));
        return w.feed;
      })();
      return watching;
    },
    async ping() {
      await pool.query("select 1");
    },
    async migrate() {
      await migratePg(db as never, { migrationsFolder: MIGRATIONS_FOLDER });
      return { searchIndex: await ensureSearchIndex(db) };
    },
    async tryWithLock(name, fn) {
      const client = await lockPool.connect();
      const key = lockKey(name);
      try {
        const res = await client.query<{ ok: boolean }>("select pg_try_advisory_lock($1) as ok", [key]);
        if (!res.rows[0]?.ok) return { acquired: false };
        try {
          return { acquired: true, value: await fn() };
        } finally {
          await client.query("select pg_advisory_unlock($1)", [key]).catch(() => {});
        }
      } finally {
        client.release();
      }
    },
    async close() {
      await stopWatching?.();
      if (!lockPool.ended) await lockPool.end();
      if (!pool.ended) await pool.end();
    },
  };
}

async function openPglite(opts: OpenDatabaseOptions): Promise<Database> {
  let lock: DataDirLock | undefined;
  let created: Database["created"];
  let client = opts.pglite;
  if (!client) {
    if (opts.dataDir) lock = acquireDataDirLock(opts.dataDir);
    try {
      const startParams = [...PGlite.defaultStartParams, "-c", `shared_buffers=${opts.pgliteSharedBuffersMb ?? DEFAULT_PGLITE_SHARED_BUFFERS_MB}MB`];
      if (opts.dataDir) {
        const opened = await openPgliteDataDir(path.join(opts.dataDir, "pg"), startParams, opts.pgliteTemplate);
        client = opened.client;
        created = opened.created;
      } else {
        client = new PGlite({ startParams, extensions: PGLITE_EXTENSIONS });
        await client.waitReady;
      }
    } catch (e) {
      lock?.release();
      throw e;
    }
  }
  const pglite = client;
  const origQuery = pglite.query.bind(pglite) as (...a: unknown[]) => Promise<unknown>;
  (pglite as unknown as { query: unknown }).query = timed(origQuery);
  const db = drizzlePglite({ client: pglite, schema }) as unknown as Db;
  const held = new Set<string>();
  let watching: Promise<DataChangeFeed> | undefined;
  return {
    db,
    kind: "pglite",
    created,
    watchDataChanges() {
      // One process owns the embedded database, and PGlite delivers a notification as soon as the committing
      // query returns: the feed is live from the start and never drops.
      watching ??= (async () => {
        // A notification is delivered before the committing query returns: nothing can be in flight.
        const feed = createFeed(async () => {});
        await pglite.listen(DATA_CHANGED_CHANNEL, (payload) => feed.emit(payload));
        feed.live = true;
        return feed;
      })();
      return watching;
    },
    async ping() {
      await db.execute(sql`select 1`);
    },
    async migrate() {
      await migratePglite(db as never, { migrationsFolder: MIGRATIONS_FOLDER });
      return { searchIndex: await ensureSearchIndex(db) };
    },
    async tryWithLock(name, fn) {
      if (held.has(name)) return { acquired: false };
      held.add(name);
      try {
        return { acquired: true, value: await fn() };
      } finally {
        held.delete(name);
      }
    },
    async close() {
      try {
        if (!pglite.closed) await pglite.close();
      } finally {
        lock?.release();
      }
    },
  };
}

/** The payload of the notification proveDelivery sends: no table has this name. */
const DELIVERY_CHECK = "delivery-check";

/**
 * A notification sent from the query pool must reach the listening connection. Behind a transaction-pooling proxy
 * (PgBouncer's default mode) LISTEN succeeds but notifications never arrive: a cache trusting that feed would
 * serve old pages for ever, so such a feed is refused.
 */
export async function proveDelivery(feed: DataChangeFeed, send: (payload: string) => Promise<unknown>): Promise<void> {
  if (!feed.live) throw new Error("The database's change notifications could not be listened to.");
  let seen = false;
  const unsubscribe = feed.subscribe((payload) => {
    if (payload === DELIVERY_CHECK) seen = true;
  });
  try {
    await send(DELIVERY_CHECK);
    await feed.sync();
    const deadline = Date.now() + 3_000;
    while (!seen && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  } finally {
    unsubscribe();
  }
  if (!seen) throw new Error("A change notification sent by this process did not arrive (a transaction-pooling proxy between Steward and PostgreSQL?).");
}

/**
 * LISTEN on a connection of its own (a pooled one would be handed to queries). When it drops, the feed goes
 * not-live at once and reconnects with backoff (1 s doubling to 30 s); coming back live tells listeners too, since
 * changes in the gap were missed.
 */
function watchPostgres(url: string): { feed: DataChangeFeed; ready: Promise<void>; stop(): Promise<void> } {
  let client: pg.Client | undefined;
  const feed = createFeed(async () => {
    const c = client;
    if (!c || !feed.live) throw new Error("The database's change notifications are not being received.");
    await c.query("select 1");
  });
  let stopped = false;
  let retryMs = 1_000;
  let timer: NodeJS.Timeout | undefined;
  let firstAttempt: (() => void) | undefined;
  const ready = new Promise<void>((resolve) => (firstAttempt = resolve));
  const connect = async () => {
    timer = undefined;
    if (stopped) return;
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, application_name: "steward-data-changes" });
    client = c;
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      feed.setLive(false);
      c.removeAllListeners("notification");
      void c.end().catch(() => {});
      if (!stopped) timer = setTimeout(() => void connect(), retryMs);
      retryMs = Math.min(retryMs * 2, 30_000);
    };
    c.on("error", onLost);
    c.on("end", onLost);
    c.on("notification", (n) => {
      if (n.channel === DATA_CHANGED_CHANNEL) feed.emit(n.payload);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${DATA_CHANGED_CHANNEL}`);
      if (stopped) return void c.end().catch(() => {});
      retryMs = 1_000;
      feed.setLive(true);
    } catch {
      onLost();
    } finally {
      firstAttempt?.();
      firstAttempt = undefined;
    }
  };
  void connect();
  return {
    feed,
    ready,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      feed.setLive(false);
      const c = client;
      client = undefined;
      if (c) {
        c.removeAllListeners("end");
        c.removeAllListeners("error");
        c.on("error", () => {});
        await c.end().catch(() => {});
      }
    },
  };
}

/** The PostgreSQL error behind a drizzle error (drizzle wraps it in `.cause`). */
export function pgErrorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

export { schema };

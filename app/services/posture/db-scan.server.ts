/**
 * The posture scan from Synapse's own database (issue 17): the same verdicts as the admin-API path (classifyUser,
 * signatures verified on the verifier thread), with no homeserver request per user. Pages of DB_PAGE_USERS users in
 * user-id order; each page is one query per table (synapse-db.server.ts), the next page is read while the current
 * one is verified and written.
 *
 * Resuming: the scan's cursor is `db:<last user id written>`; a run that picks the scan up continues after it (the
 * rows of the page it died in are upserted again). A scan the admin-API path started (numeric cursor) starts over.
 */
import type { Db } from "../../../db/client";
import type { Logger } from "../observability/log.server";
import { classifyUser, signatureChecks, type KeysFacts, type PostureVerdict, type Verify } from "./classify.server";
import { verifySignature } from "./canonical-json.server";
import { SignatureVerifier } from "./signature-worker.server";
import type { PostureSettings } from "./settings.server";
import { finishScan, startOrResumeScan, writePage } from "./store.server";
import { checkSynapseDb, countUsers, openSynapseDbSource, readPage, synapseDbHasUser, type DbPage, type DbUser, type SynapseDbSource } from "./synapse-db.server";
import { apiPathNote, dbPathNote } from "./scan-path";

export const DB_PAGE_USERS = 1000;
export const DB_CURSOR_PREFIX = "db:";

export interface DbScanDeps {
  db: Db;
  source: SynapseDbSource;
  now(): Date;
  log?: Logger;
  signal?: AbortSignal;
  progress?(items: number, total?: number | null): Promise<void>;
  settings: PostureSettings;
  afterPage?(scanId: number, usersScanned: number): void | Promise<void>;
  /** Homeserver requests already made by this run (the identity check). */
  requests: number;
  guard: { schemaVersion: number; serverVersion: string };
  pageUsers?: number;
}

export interface DbScanResult {
  scanId: number;
  status: "complete" | "interrupted";
  resumed: boolean;
  usersScanned: number;
  requests: number;
}

/** keys/query's view of the user, built from the rows: a local user is always in the answer. */
function keysFactsOf(u: DbUser): KeysFacts {
  if (u.malformed.length) return { visible: false, reason: `Synapse database: ${u.malformed.join("; ")}`, deviceKeys: {} };
  return { visible: true, master: u.master, selfSigning: u.selfSigning, deviceKeys: u.deviceKeys };
}

export async function runDbScan(deps: DbScanDeps): Promise<DbScanResult> {
  const { db, source, settings } = deps;
  const pageUsers = deps.pageUsers ?? DB_PAGE_USERS;
  const verifier = new SignatureVerifier();
  let pending: Promise<DbPage> | null = null;
  let writing: Promise<void> = Promise.resolve();
  try {
    const { scan, resumed } = await startOrResumeScan(db, {
      now: deps.now(),
      backupSource: "database",
      staleDays: settings.staleDays,
      resumeWithinMs: settings.resumeWithinMs,
    });
    const ours = scan.cursor?.startsWith(DB_CURSOR_PREFIX) ?? false;
    let after = ours ? scan.cursor!.slice(DB_CURSOR_PREFIX.length) : "";
    let usersScanned = ours ? scan.usersScanned : 0;
    const total = await countUsers(source);
    deps.log?.info("posture scan from Synapse's database", { scanId: scan.id, resumed, after, schemaVersion: deps.guard.schemaVersion });

    const read = (from: string) => {
      const p = readPage(source, from, pageUsers);
      p.catch(() => {}); // observed when its turn comes
      return p;
    };
    let unrecorded = deps.requests; // the identity check, counted with the first page written
    pending = read(after);
    for (;;) {
      const page: DbPage = await pending!;
      pending = null;
      if (!page.users.length) break;
      // The next page is read while this one is verified, and this one is classified while the previous is written.
      const more = page.users.length === pageUsers;
      if (more) pending = read(page.last!);
      const verdicts = await classifyPage(page.users, verifier, deps.now().getTime(), settings);
      usersScanned += page.users.length;
      after = page.last!;
      const o = { cursor: `${DB_CURSOR_PREFIX}${after}`, usersScanned, totalUsers: total, requests: unrecorded, keyQueryLimited: false, now: deps.now() };
      unrecorded = 0;
      // Pages are written strictly in order, each with its own cursor, so resuming is exact.
      await writing;
      writing = (async () => {
        await writePage(db, scan.id, verdicts, o);
        await deps.progress?.(o.usersScanned, total);
        await deps.afterPage?.(scan.id, o.usersScanned);
      })();
      writing.catch(() => {}); // awaited before the next page's write, or on the way out
      if (!more) break;
      if (deps.signal?.aborted) {
        await writing;
        deps.log?.info("posture scan interrupted", { scanId: scan.id, usersScanned });
        return { scanId: scan.id, status: "interrupted", resumed, usersScanned, requests: deps.requests };
      }
    }
    await writing;
    await finishScan(db, scan.id, { now: deps.now(), notes: [dbPathNote(deps.guard.schemaVersion, deps.guard.serverVersion)] });
    return { scanId: scan.id, status: "complete", resumed, usersScanned, requests: deps.requests };
  } finally {
    if (pending) await pending.catch(() => {});
    await writing.catch(() => {});
    await verifier.close();
  }
}

/** Every signature of the page checked in one message to the verifier thread, then classified as the API path does. */
async function classifyPage(users: DbUser[], verifier: SignatureVerifier, now: number, settings: PostureSettings): Promise<PostureVerdict[]> {
  const perUser = users.map((u) => {
    const keyFacts = keysFactsOf(u);
    return { u, keyFacts, checks: signatureChecks(u.userId, keyFacts) };
  });
  const all = perUser.flatMap((p) => p.checks);
  const results = all.length ? await verifier.verifyAll(all) : [];
  let offset = 0;
  return perUser.map(({ u, keyFacts, checks }) => {
    const mine = results.slice(offset, offset + checks.length);
    offset += checks.length;
    const verify: Verify = (obj, signer, keyId, pub) => {
      const i = checks.findIndex((c) => c.obj === obj && c.signer === signer && c.keyId === keyId && c.publicKeyBase64 === pub);
      return i >= 0 ? mine[i] : verifySignature(obj, signer, keyId, pub);
    };
    const malformed = u.malformed.length ? `Synapse database: ${u.malformed.join("; ")}` : undefined;
    // Deactivation deletes devices and account data (§8): the API path fetches neither, so neither is read here.
    const devices = u.deactivated ? [] : u.devices.map((d) => ({ ...d, userId: u.userId, lastSeenUserAgent: null, dehydrated: false }));
    const verdict = classifyUser(
      {
        user: { userId: u.userId, displayname: u.displayname, userType: u.userType, deactivated: u.deactivated, admin: u.admin },
        keys: keyFacts,
        devices,
        accountData: malformed ? null : u.deactivated ? {} : u.accountData,
        accountDataError: malformed,
        backup: u.backup
          ? { status: "ok", source: "database", version: u.backup.version, count: u.backup.count }
          : { status: "missing", source: "database", note: "no current backup version in Synapse's database" },
        backupSource: "database",
      },
      { now, staleDays: settings.staleDays, appservicePattern: settings.appservicePattern, verify },
    );
    if (u.deactivated) verdict.notes.deactivated = "Deactivated: Synapse deleted the devices, account data and key backups; cross-signing keys remain.";
    return verdict;
  });
}

export type ScanPathChoice =
  | { path: "database"; source: SynapseDbSource; guard: { schemaVersion: number; serverVersion: string }; requests: number; close(): Promise<void> }
  | { path: "api"; note: string };

/**
 * The database path when Synapse's database is configured, passes the version guard and holds the signed-in admin
 * (one whoami per scan: SYNAPSE_DATABASE_URL must be this homeserver's database); else the admin API, with why.
 * `given` (tests): a source to use (not closed here), or null for "no database".
 */
export async function chooseScanPath(o: {
  url?: string;
  given?: SynapseDbSource | null;
  whoami(): Promise<string>;
}): Promise<ScanPathChoice> {
  const owned = o.given === undefined && o.url ? openSynapseDbSource(o.url) : null;
  const source = o.given ?? owned;
  if (!source) return { path: "api", note: apiPathNote() };
  const close = async () => {
    await owned?.close().catch(() => {});
  };
  try {
    const guard = await checkSynapseDb(source);
    if (!guard.ok) {
      await close();
      return { path: "api", note: apiPathNote(guard.reason) };
    }
    const me = await o.whoami();
    let known: boolean;
    try {
      known = await synapseDbHasUser(source, me);
    } catch (e) {
      await close();
      return { path: "api", note: apiPathNote(`Synapse's database could not be read: ${(e as Error).message}`) };
    }
    if (!known) {
      await close();
      return { path: "api", note: apiPathNote(`Synapse's database has no user ${me} (the signed-in admin): SYNAPSE_DATABASE_URL seems to be another server's database.`) };
    }
    return { path: "database", source, guard: { schemaVersion: guard.schemaVersion, serverVersion: guard.serverVersion }, requests: 1, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * The posture scan: pages through the users (200 a page), asks keys/query once per page, fetches each user's
 * devices and account data with at most `concurrency` requests in flight, classifies, and writes the page with its
 * cursor. At most 2 requests per user plus one key query (and one list page) per batch — login-as, when opted in,
 * adds 3 per user. Memory stays bounded: at most two pages of users are in flight (the one being finished and the
 * one queued behind it) plus the next page's list and key query.
 *
 * Resuming: the scan row keeps the users-list offset of the next page; a run that finds a recent unfinished scan
 * continues it (the page it died in is redone; rows are upserted). The list is ordered by name, and Synapse never
 * deletes users, so a user registered mid-scan can only shift later users forward (rescanned, not skipped).
 */
import type { Db } from "../../../db/client";
import type { HomeserverClient, KeysQueryResult, UserListPage, UserSummary } from "../../homeserver";
import { Limiter } from "./limiter.server";
import { describeHomeserverError, isHomeserverError } from "../../homeserver/errors";
import type { Logger } from "../observability/log.server";
import { recordAudit } from "../audit/events.server";
import { backupViaLoginAs, describeDbError, openSynapseBackupReader, type SynapseBackupReader } from "./backup.server";
import { classifyUser, signatureChecks, type BackupFact, type BackupSource, type KeysFacts, type PostureVerdict, type Verify } from "./classify.server";
import { verifySignature } from "./canonical-json.server";
import { SignatureVerifier, type SignatureCheck } from "./signature-worker.server";
import type { PostureSettings } from "./settings.server";
import { finishScan, startOrResumeScan, writePage } from "./store.server";
import { chooseScanPath, DB_CURSOR_PREFIX, runDbScan } from "./db-scan.server";
import type { SynapseDbSource } from "./synapse-db.server";
import { LOGIN_AS_UNAVAILABLE_NOTE } from "./scan-path";

export interface PostureScanDeps {
  db: Db;
  hs: HomeserverClient;
  now(): Date;
  log?: Logger;
  signal?: AbortSignal;
  progress?(items: number, total?: number | null): Promise<void>;
  settings: PostureSettings;
  /** Override the Synapse-database reader (tests); default: opened from settings.synapseDatabaseUrl. */
  synapseDb?: SynapseBackupReader | null;
  /** Test hook, after each stored page. Throwing here simulates a crash between pages. */
  afterPage?(scanId: number, usersScanned: number): void | Promise<void>;
  /** Override Synapse's database as the scan's source (tests); null = admin API only. Default: settings.synapseDatabaseUrl. */
  synapseSource?: SynapseDbSource | null;
  /** Users per page of the database path (tests); default DB_PAGE_USERS. */
  dbPageUsers?: number;
}

export interface PostureScanResult {
  scanId: number;
  status: "complete" | "interrupted";
  resumed: boolean;
  usersScanned: number;
  /** Homeserver requests made by this run (logical calls; retries not counted). */
  requests: number;
  keyQueryLimited: boolean;
  backupSource: BackupSource;
  /** Which path made the scan: Synapse's database, or the admin API. */
  path: "database" | "api";
}

/** Errors that mean "stop the whole scan" rather than "this user is unknown". */
function isFatal(e: unknown): boolean {
  return isHomeserverError(e, ["unknown_token", "missing_token", "forbidden"]);
}

export const MSC4263_NOTE =
  "keys/query only returns users who share a room with the scanning admin (msc4263_limit_key_queries_to_users_who_share_rooms); cross-signing is unknown, not missing";

export async function runPostureScan(deps: PostureScanDeps): Promise<PostureScanResult> {
  const choice = await chooseScanPath({
    url: deps.settings.synapseDatabaseUrl,
    given: deps.synapseSource,
    whoami: async () => (await deps.hs.auth.whoami()).userId,
  });
  if (choice.path === "api") return runApiScan(deps, choice.note);
  try {
    const r = await runDbScan({ ...deps, pageUsers: deps.dbPageUsers, source: choice.source, guard: choice.guard, requests: choice.requests });
    return { ...r, keyQueryLimited: false, backupSource: "database", path: "database" };
  } finally {
    await choice.close();
  }
}

async function runApiScan(deps: PostureScanDeps, pathNote: string): Promise<PostureScanResult> {
  const { db, hs, settings } = deps;
  const log = deps.log;
  const limiter = new Limiter(settings.concurrency);
  const verifier = new SignatureVerifier();
  let requests = 0;
  /** One homeserver call under the limiter, counted in the scan total and in its page's counter. */
  const call = <T>(fn: () => Promise<T>, page?: { requests: number }, priority = false) =>
    limiter.run(() => {
      requests++;
      if (page) page.requests++;
      return fn();
    }, { priority });

  const ownedReader = deps.synapseDb === undefined && settings.synapseDatabaseUrl ? openSynapseBackupReader(settings.synapseDatabaseUrl) : null;
  const reader = deps.synapseDb ?? ownedReader;
  const backupSource: BackupSource = reader ? "database" : settings.backupViaLoginAs ? "login_as" : "account_data";
  const notes: string[] = [pathNote];
  // Every promise started on the scan's behalf: on any way out they are stopped (queued ones refused) and awaited,
  // so nothing keeps calling the homeserver or writing after this function returned.
  const outstanding = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    outstanding.add(p);
    p.then(() => outstanding.delete(p), () => outstanding.delete(p));
    return p;
  };
  try {
    const requester = (await call(() => hs.auth.whoami())).userId;
    const { scan, resumed } = await startOrResumeScan(db, {
      now: deps.now(),
      backupSource,
      staleDays: settings.staleDays,
      resumeWithinMs: settings.resumeWithinMs,
    });
    // A scan the database path started keeps its place by user id, not by list offset: start it over here.
    const fromDbPath = scan.cursor?.startsWith(DB_CURSOR_PREFIX) ?? false;
    let usersScanned = fromDbPath ? 0 : scan.usersScanned;
    let keyQueryLimited = scan.keyQueryLimited;
    let loginAsAvailable = backupSource === "login_as";
    log?.info("posture scan", { scanId: scan.id, resumed, from: scan.cursor, backupSource });

    type Batch = { page: UserListPage; keys: KeysQueryResult | null; nextFrom: string | null; counter: { requests: number } };
    /** A page of users and its key query, ahead of the per-user calls already queued (priority). */
    const fetchBatch = (from: string): Promise<Batch> =>
      track(
        (async () => {
          const counter = { requests: 0 };
          const page = await call(() => hs.users.list({ from, limit: settings.batchSize, guests: false, locked: true, orderBy: "name" }), counter, true);
          const ids = page.users.map((u) => u.userId);
          // The requester rides along in every query: seeing ourselves but nobody else reveals the msc4263 limit.
          const keys = ids.length ? await call(() => hs.keys.query([...new Set([...ids, requester])]), counter, true) : null;
          const nextFrom = page.nextToken !== undefined && page.users.length > 0 ? page.nextToken : null;
          return { page, keys, nextFrom, counter };
        })(),
      );

    type UserChecks = { keyFacts: KeysFacts; checks: SignatureCheck[]; verified: Promise<boolean[]> };
    /**
     * Every signature of a page's users, checked on the verifier's thread in one message while their devices and
     * account data are fetched (a message per user cost more than the checks it carried).
     */
    const pageChecks = (batch: Batch, limited: boolean): UserChecks[] => {
      const perUser = batch.page.users.map((u) => {
        const keyFacts = keysFactsFor(batch.keys, u.userId, limited);
        return { keyFacts, checks: signatureChecks(u.userId, keyFacts) };
      });
      const all = perUser.flatMap((u) => u.checks);
      const results = all.length ? verifier.verifyAll(all) : Promise.resolve([] as boolean[]);
      results.catch(() => {}); // observed by each user's scan
      let offset = 0;
      return perUser.map((u) => {
        const from = offset;
        offset += u.checks.length;
        return { ...u, verified: results.then((r) => r.slice(from, from + u.checks.length)) };
      });
    };

    const scanUser = async (user: UserSummary, batch: Batch, dbBackups: ((id: string) => BackupFact) | null, own: UserChecks): Promise<PostureVerdict> => {
      const { keyFacts, checks, verified } = own;
      const [devices, accountData] = user.deactivated
        ? // Deactivation deletes devices and account data (§8): nothing to fetch.
          [{ value: [], error: undefined }, { value: {}, error: undefined }]
        : await Promise.all([
            settle(() => call(() => hs.devices.list(user.userId), batch.counter).then((r) => r.devices)),
            settle(() => call(() => hs.accountData.get(user.userId), batch.counter).then((r) => r.global)),
          ]);
      const results = await verified;
      const verify: Verify = (obj, signer, keyId, pub) => {
        const i = checks.findIndex((c) => c.obj === obj && c.signer === signer && c.keyId === keyId && c.publicKeyBase64 === pub);
        return i >= 0 ? results[i] : verifySignature(obj, signer, keyId, pub);
      };
      let backup: BackupFact | undefined;
      if (dbBackups) backup = dbBackups(user.userId);
      else if (loginAsAvailable && !user.deactivated && user.userId !== requester) {
        const out = await call(() => backupViaLoginAs(hs, user.userId, deps.now().getTime()), batch.counter);
        requests += 2; // room_keys/version + logout ride on the same slot
        batch.counter.requests += 2;
        if (out.unavailable) {
          if (loginAsAvailable) notes.push(LOGIN_AS_UNAVAILABLE_NOTE);
          loginAsAvailable = false;
        } else backup = out.fact;
        await recordAudit(db, {
          actor: requester,
          action: "posture.backup_login_as",
          target: user.userId,
          outcome: out.unavailable ? "error" : out.fact.status === "unknown" ? "error" : "ok",
          detail: { scanId: scan.id, result: out.fact.status, ...(out.fact.note ? { note: out.fact.note } : {}) },
        });
      }
      const verdict = classifyUser(
        {
          user,
          keys: keyFacts,
          devices: devices.value,
          devicesError: devices.error,
          accountData: accountData.value,
          accountDataError: accountData.error,
          backup,
          backupSource: backup?.source ?? "account_data",
        },
        { now: deps.now().getTime(), staleDays: settings.staleDays, appservicePattern: settings.appservicePattern, verify },
      );
      if (user.deactivated) verdict.notes.deactivated = "Deactivated: Synapse deleted the devices, account data and key backups; cross-signing keys remain.";
      return verdict;
    };

    /** Queues every user of a batch; resolves with the page's verdicts (in list order). */
    const startPage = (batch: Batch) => {
      const limited = batch.keys ? detectLimited(batch.keys, batch.page.users, requester) : false;
      const verdicts = track(
        (async () => {
          const checks = pageChecks(batch, limited);
          const dbBackups = backupSource === "database" ? await readDbBackups(reader!, batch.page.users) : null;
          return Promise.all(batch.page.users.map((u, i) => scanUser(u, batch, dbBackups, checks[i])));
        })(),
      );
      verdicts.catch(() => {}); // observed when its turn comes; a scan stopping earlier must not leave it unhandled
      return { batch, limited, verdicts };
    };

    // Two pages overlap: while page N's calls drain, page N+1's are already queued behind them (and page N+2's list
    // and key query jump the queue), so the homeserver always has `concurrency` calls to answer. Pages are still
    // written strictly in order, each with the cursor of the page after it — resuming redoes at most the page
    // being written and the one after it (rows are upserted).
    const first = await fetchBatch(fromDbPath ? "0" : (scan.cursor ?? "0"));
    let current: ReturnType<typeof startPage> | null = startPage(first);
    let nextBatch: Promise<Batch> | null = first.nextFrom !== null ? fetchBatch(first.nextFrom) : null;
    nextBatch?.catch(() => {});
    while (current) {
      let following: ReturnType<typeof startPage> | null = null;
      if (nextBatch) {
        const b = await nextBatch;
        following = startPage(b);
        nextBatch = b.nextFrom !== null ? fetchBatch(b.nextFrom) : null;
        nextBatch?.catch(() => {});
      }
      const verdicts = await current.verdicts;
      const { page, nextFrom, counter } = current.batch;
      if (current.limited) keyQueryLimited = true;
      usersScanned += page.users.length;
      await writePage(db, scan.id, verdicts, {
        cursor: nextFrom,
        usersScanned,
        totalUsers: page.total,
        requests: counter.requests,
        keyQueryLimited: current.limited,
        now: deps.now(),
      });
      await deps.progress?.(usersScanned, page.total);
      await deps.afterPage?.(scan.id, usersScanned);
      if (following && deps.signal?.aborted) {
        log?.info("posture scan interrupted", { scanId: scan.id, usersScanned });
        return { scanId: scan.id, status: "interrupted", resumed, usersScanned, requests, keyQueryLimited, backupSource, path: "api" };
      }
      current = following;
    }
    if (keyQueryLimited) notes.push(MSC4263_NOTE);
    // Login-as asked for but absent (a homeserver delegating to MAS has none): the report must not claim it was used.
    const usedSource: BackupSource = backupSource === "login_as" && notes.includes(LOGIN_AS_UNAVAILABLE_NOTE) ? "account_data" : backupSource;
    await finishScan(db, scan.id, { now: deps.now(), notes, backupSource: usedSource });
    return { scanId: scan.id, status: "complete", resumed, usersScanned, requests, keyQueryLimited, backupSource: usedSource, path: "api" };
  } finally {
    limiter.close();
    await Promise.allSettled([...outstanding]);
    await verifier.close();
    await ownedReader?.close().catch(() => {});
  }
}

async function settle<T>(fn: () => Promise<T>): Promise<{ value: T | null; error?: string }> {
  try {
    return { value: await fn() };
  } catch (e) {
    if (isFatal(e)) throw e;
    return { value: null, error: describeHomeserverError(e) };
  }
}

/** msc4263: we (the requester) are in the answer, but every other local user of the page is left out entirely. */
export function detectLimited(keys: KeysQueryResult, users: UserSummary[], requester: string): boolean {
  const others = users.filter((u) => u.userId !== requester);
  return requester in keys.deviceKeys && others.length > 0 && others.every((u) => !(u.userId in keys.deviceKeys));
}

function keysFactsFor(keys: KeysQueryResult | null, userId: string, limited: boolean): KeysFacts {
  if (!keys || !(userId in keys.deviceKeys)) {
    return { visible: false, reason: limited ? MSC4263_NOTE : "keys/query left this user out of its answer", deviceKeys: {} };
  }
  return {
    visible: true,
    master: keys.masterKeys[userId],
    selfSigning: keys.selfSigningKeys[userId],
    deviceKeys: keys.deviceKeys[userId] ?? {},
  };
}

/** One database query per page; a failure makes the page's backups unknown (never missing). */
async function readDbBackups(reader: SynapseBackupReader, users: UserSummary[]): Promise<(userId: string) => BackupFact> {
  try {
    const found = await reader.lookup(users.map((u) => u.userId));
    return (userId) => {
      const b = found.get(userId);
      return b
        ? { status: "ok", source: "database", version: b.version, count: b.count }
        : { status: "missing", source: "database", note: "no current backup version in Synapse's database" };
    };
  } catch (e) {
    const note = describeDbError(e);
    return () => ({ status: "unknown", source: "database", note });
  }
}

/**
 * Every table of page data notifies `steward_data_changed` on change (migration 0009, decision 010): the rendered-
 * page cache empties only on those notifications, so a table without the triggers would leave stale pages. A new
 * table must get them, or be named here as not page data.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { createTestDb, type TestDatabase } from "../helpers/db";

/**
 * Not shown by any page: sign-in state written on every sign-in (sessions, rate limits, the MAS sign-in tables), and
 * the homeserver binding, written once at start before any page renders and then held in the process's context.
 * Bulk user jobs: written once per device as a job runs (thousands of rows a minute), and read only by the job's
 * progress page, which is never served from the page cache (it must show progress as it happens); what a job
 * changes on the reports (posture rows, the audit log) notifies through those tables.
 */
const NOT_PAGE_DATA = ["admin_sessions", "rate_limits", "mas_auth_requests", "mas_clients", "mas_session_grants", "steward_meta", "user_bulk_jobs", "user_bulk_items"];

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDb();
});
afterAll(async () => {
  await database?.close();
});

async function rows<T>(query: ReturnType<typeof sql>): Promise<T[]> {
  const r = (await database.db.execute(query)) as unknown as { rows: T[] };
  return r.rows;
}

describe("data change triggers", () => {
  it("are on every table but sessions and rate limits, for inserts, updates, deletes and truncates", async () => {
    const tables = (await rows<{ name: string }>(sql`select tablename as name from pg_tables where schemaname = 'public' order by 1`)).map((t) => t.name);
    expect(tables.length).toBeGreaterThan(10);
    const triggers = await rows<{ table: string; name: string; events: number }>(
      sql`select c.relname as table, t.tgname as name, t.tgtype::int as events from pg_trigger t join pg_class c on c.oid = t.tgrelid
          join pg_proc p on p.oid = t.tgfoid where not t.tgisinternal and p.proname like 'steward_notify_%'`,
    );
    for (const table of tables) {
      const names = triggers.filter((t) => t.table === table).map((t) => t.name).sort();
      if (NOT_PAGE_DATA.includes(table)) expect(names, table).toEqual([]);
      else expect(names, table).toEqual([`${table}_deleted`, `${table}_inserted`, `${table}_truncated`, `${table}_updated`]);
    }
  });

  it("notify once per changing transaction, and not for a statement that changed nothing", async () => {
    const feed = await database.watchDataChanges();
    let seen = 0;
    const stop = feed.subscribe(() => seen++);
    try {
      await database.db.execute(sql`update collector_runs set error = 'x' where id = -1`);
      await feed.sync();
      expect(seen).toBe(0);
      await database.db.transaction(async (tx) => {
        await tx.execute(sql`insert into audit_events (at, actor, action, outcome) values (now(), '@a:x', 'test.one', 'ok')`);
        await tx.execute(sql`insert into audit_events (at, actor, action, outcome) values (now(), '@a:x', 'test.two', 'ok')`);
      });
      await expect.poll(async () => (await feed.sync(), seen)).toBe(1);
      await database.db.execute(sql`delete from audit_events where action like 'test.%'`);
      await expect.poll(async () => (await feed.sync(), seen)).toBe(2);
    } finally {
      stop();
    }
  });
  it("name the changed table, once per table and transaction (migration 0017, decision 036)", async () => {
    const feed = await database.watchDataChanges();
    const seen: Array<string | undefined> = [];
    const stop = feed.subscribe((table) => seen.push(table));
    try {
      await database.db.transaction(async (tx) => {
        await tx.execute(sql`insert into audit_events (at, actor, action, outcome) values (now(), '@a:x', 'test.three', 'ok')`);
        await tx.execute(sql`insert into audit_events (at, actor, action, outcome) values (now(), '@a:x', 'test.four', 'ok')`);
        await tx.execute(sql`delete from homeserver_users where user_id = '@nobody-here:x'`); // changes nothing: no notice
        await tx.execute(
          sql`insert into homeserver_users (user_id, admin, is_guest, deactivated, locked, shadow_banned, erased, approved, search_text, run_id)
              values ('@named:x', false, false, false, false, false, false, true, '@named:x', 0)`,
        );
      });
      await expect.poll(async () => (await feed.sync(), [...seen].sort())).toEqual(["audit_events", "homeserver_users"]);
      await database.db.execute(sql`delete from homeserver_users where user_id = '@named:x'`);
      await database.db.execute(sql`delete from audit_events where action like 'test.%'`);
      await expect.poll(async () => (await feed.sync(), seen.length)).toBe(4);
      expect(seen.slice(2)).toEqual(["homeserver_users", "audit_events"]);
    } finally {
      stop();
    }
  });
});

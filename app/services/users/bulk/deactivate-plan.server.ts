/**
 * What a bulk deactivation would act on: the accounts of the users page's current filter (Steward's copy of the
 * user list), optionally only those created more than N days ago — never the admin's own account, never another
 * server admin, never an account already deactivated (the preview says how many were left out and why).
 */
import { and, asc, eq, isNotNull, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../../../db/client";
import { homeserverUsers } from "../../../../db/schema";
import { filterCondition, likeEscape } from "../stored.server";
import type { UserFilter } from "../filters";
import { MAX_BULK_USERS, type PlanItem } from "./plan.server";

export interface DeactivateFilter {
  filter: UserFilter;
  days: number;
  search?: string;
  /** Only accounts created more than this many days ago. */
  createdDays?: number;
}

export interface DeactivatePlan {
  items: PlanItem[];
  /** Left out: the admin's own account, other server admins. */
  leftOutSelf: boolean;
  leftOutAdmins: number;
}

export async function planDeactivate(db: Db, f: DeactivateFilter, o: { now: Date; actor: string }): Promise<DeactivatePlan> {
  const u = homeserverUsers;
  const where: SQL[] = [eq(u.deactivated, false)];
  const cond = filterCondition({ filter: f.filter, days: f.days }, o.now);
  if (cond) where.push(cond);
  const term = f.search?.trim().toLowerCase();
  if (term) where.push(sql`${u.searchText} like ${`%${likeEscape(term)}%`}`);
  if (f.createdDays !== undefined) {
    where.push(isNotNull(u.creationTs), sql`${u.creationTs} < ${new Date(o.now.getTime() - f.createdDays * 86_400_000).toISOString()}::timestamptz`);
  }
  const rows = await db
    .select({ userId: u.userId, admin: u.admin, lastSeenTs: u.lastSeenTs })
    .from(u)
    .where(and(...where))
    .orderBy(asc(u.userId))
    .limit(MAX_BULK_USERS + 1);
  const items: PlanItem[] = [];
  let leftOutSelf = false;
  let leftOutAdmins = 0;
  for (const r of rows) {
    if (r.userId === o.actor) leftOutSelf = true;
    else if (r.admin) leftOutAdmins++;
    else items.push({ userId: r.userId, deviceId: "", deviceName: null, lastSeenTs: r.lastSeenTs?.getTime() ?? null, lastSeenIp: null });
  }
  return { items, leftOutSelf, leftOutAdmins };
}

/** Account data admin API (reference §2, §4 "Account data signals"; 1.50+). */
import { z } from "zod";
import type { HomeserverHttp } from "./http";
import { isPlainRecord, withFastPath } from "./parse";

export interface AccountData {
  /** type → content. Entries deleted to `{}` are left out by the server. */
  global: Record<string, unknown>;
  /** room id → type → content. */
  rooms: Record<string, Record<string, unknown>>;
}

const schema = z
  .object({
    account_data: z.object({
      global: z.record(z.unknown()).nullish(),
      rooms: z.record(z.record(z.unknown())).nullish(),
    }),
  })
  .transform((r): AccountData => ({ global: r.account_data.global ?? {}, rooms: r.account_data.rooms ?? {} }));

/** The usual answer, without zod's copy of every record (a posture scan reads one per user). */
function fast(json: unknown): AccountData | null {
  if (!isPlainRecord(json) || !isPlainRecord(json.account_data)) return null;
  const { global, rooms } = json.account_data;
  if (global !== null && global !== undefined && !isPlainRecord(global)) return null;
  if (rooms !== null && rooms !== undefined && (!isPlainRecord(rooms) || !Object.values(rooms).every(isPlainRecord))) return null;
  return { global: { ...(global ?? {}) }, rooms: { ...((rooms as AccountData["rooms"] | null | undefined) ?? {}) } };
}

export const parseAccountData = withFastPath(schema, fast);

export function accountDataApi(http: HomeserverHttp) {
  return {
    /** GET /_synapse/admin/v1/users/{userId}/accountdata. 404 not_found for unknown local users. */
    get(userId: string): Promise<AccountData> {
      return http.get("/_synapse/admin/v1/users/{userId}/accountdata", { params: { userId }, parse: parseAccountData });
    },
  };
}

export type AccountDataApi = ReturnType<typeof accountDataApi>;

/** For the test that holds the fast path to the schema. */
export { schema as accountDataSchema, fast as fastAccountData };

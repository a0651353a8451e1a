/** Account data admin API (reference §2, §4 "Account data signals"; 1.50+). */
import { z } from "zod";
import type { HomeserverHttp } from "./http";

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

export function accountDataApi(http: HomeserverHttp) {
  return {
    /** GET /_synapse/admin/v1/users/{userId}/accountdata. 404 not_found for unknown local users. */
    get(userId: string): Promise<AccountData> {
      return http.get("/_synapse/admin/v1/users/{userId}/accountdata", { params: { userId }, parse: schema });
    },
  };
}

export type AccountDataApi = ReturnType<typeof accountDataApi>;

/** Server notices admin API (reference §2 "Server notices"). */
import { z } from "zod";
import type { HomeserverHttp } from "./http";

export interface SendNoticeOptions {
  /** Event type; default m.room.message. */
  type?: string;
  stateKey?: string;
}

export function noticesApi(http: HomeserverHttp) {
  return {
    /**
     * PUT /_synapse/admin/v1/send_server_notice/{txnId}. Because of the txnId the call is idempotent (a repeat
     * returns the same event id), so it is safe to retry: choose a txnId per logical notice, not per attempt.
     * 400 when notices are not configured or the user is remote; 404 not_found for an unknown user.
     */
    async send(
      userId: string,
      content: Record<string, unknown>,
      txnId: string,
      opts: SendNoticeOptions = {},
    ): Promise<{ eventId: string }> {
      const r = await http.put("/_synapse/admin/v1/send_server_notice/{txnId}", {
        params: { txnId },
        body: {
          user_id: userId,
          content,
          ...(opts.type !== undefined ? { type: opts.type } : {}),
          ...(opts.stateKey !== undefined ? { state_key: opts.stateKey } : {}),
        },
        parse: z.object({ event_id: z.string() }),
      });
      return { eventId: r.event_id };
    },
  };
}

export type NoticesApi = ReturnType<typeof noticesApi>;

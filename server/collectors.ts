/**
 * Attaches background collectors to a running Steward. The collector framework arrives with the user-counts
 * work; until then there is nothing to attach.
 */
import type { StewardContext } from "../app/context.server";

export async function attachCollectors(_ctx: StewardContext): Promise<(() => Promise<void>) | void> {
  return undefined;
}

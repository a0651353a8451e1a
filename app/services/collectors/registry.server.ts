/**
 * The registry of collectors. Each feature adds its collector here (one line), and the scheduler, the
 * "refresh now" routes and `npm run collect` pick it up.
 */
import type { CollectorDefinition } from "./framework.server";
import { userCountsCollector } from "../users/counts-collector.server";
import { federationCollector, selfCheckCollector } from "../federation/collector.server";
import { tokensCollector } from "../tokens/snapshots.server";
import { postureCollector } from "../posture/collector.server";

export const COLLECTORS: CollectorDefinition[] = [userCountsCollector, federationCollector, selfCheckCollector, tokensCollector, postureCollector];

export function findCollector(name: string): CollectorDefinition | undefined {
  return COLLECTORS.find((c) => c.name === name);
}

import type { AppContext } from "../jobs/feature";
import type { MessagingServices } from "../messaging/index.server";
import { POINTS_JOBS, syncKey, type PointsJobDeps } from "./jobs";
import type { NudgeDeps } from "./nudges";
import type { RedeemDeps } from "./redeem";

export interface PointsDeps {
  /** Queues the storefront metafield sync of a shop (one per shop). */
  requestPointsSync(shop: string): Promise<void>;
  redeemDeps(): RedeemDeps;
  nudgeDeps(): Promise<NudgeDeps>;
  jobDeps(): PointsJobDeps;
}

/** Production wiring of the points use cases, from the app's context and the messaging layer. */
export function createPointsDeps(ctx: AppContext, messaging: Pick<MessagingServices, "messenger" | "flowTriggers">): PointsDeps {
  const requestPointsSync = (shop: string) =>
    ctx.queue.send(POINTS_JOBS.sync, { shop }, { singletonKey: syncKey(shop) }).then(() => undefined);
  const nudgeDeps = async (): Promise<NudgeDeps> => ({ sql: ctx.db.sql, messenger: messaging.messenger(), flow: messaging.flowTriggers() });
  return {
    requestPointsSync,
    redeemDeps: () => ({ sql: ctx.db.sql, client: ctx.adminClient, onLedgerChanged: requestPointsSync }),
    nudgeDeps,
    jobDeps: () => ({ sql: ctx.db.sql, client: ctx.adminClient, queue: ctx.queue, nudges: nudgeDeps }),
  };
}

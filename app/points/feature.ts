import type { AppContext, Feature } from "../jobs/feature";
import type { FlowTriggers, Messenger } from "../messaging/types";
import {
  onOrderChangedPoints,
  onSyncCompletedPoints,
  pointsJobDefinitions,
  POINTS_JOBS,
  scheduleNextNudges,
  syncKey,
  type PointsJobDeps,
} from "./jobs";
import type { NudgeDeps } from "./send-reminders";
import type { RedeemDeps } from "./redeem-points";
import { exportPointsCustomers, redactPointsCustomers, redactPointsShop } from "./store";

/** The wired points use cases the routes and jobs need (built once by the composition root). */
export interface PointsDeps {
  /** Queues the storefront metafield sync of a shop (one per shop). */
  requestPointsSync(shop: string): Promise<void>;
  redeemDeps(): RedeemDeps;
  nudgeDeps(): Promise<NudgeDeps>;
  jobDeps(): PointsJobDeps;
}

/** What points needs from messaging: the consent-gated messenger and Flow triggers. */
export interface PointsMessaging {
  messenger(): Messenger;
  flowTriggers(): FlowTriggers;
}

/** Production wiring of the points use cases, from the app's context and the messaging layer. */
export function createPointsDeps(ctx: AppContext, messaging: PointsMessaging): PointsDeps {
  const requestPointsSync = (shop: string) =>
    ctx.queue.send(POINTS_JOBS.sync, { shop }, { singletonKey: syncKey(shop) }).then(() => undefined);
  const nudgeDeps = async (): Promise<NudgeDeps> => ({
    sql: ctx.db.sql,
    messenger: messaging.messenger(),
    flow: messaging.flowTriggers(),
    now: ctx.now,
  });
  return {
    requestPointsSync,
    redeemDeps: () => ({ sql: ctx.db.sql, client: ctx.adminClient, onLedgerChanged: requestPointsSync, now: ctx.now }),
    nudgeDeps,
    jobDeps: () => ({ sql: ctx.db.sql, client: ctx.adminClient, queue: ctx.queue, nudges: nudgeDeps, now: ctx.now }),
  };
}

/** The points feature's jobs and hooks (see app/jobs/feature.ts and ADR 073). */
export function createPointsFeature(points: Pick<PointsDeps, "jobDeps">): Feature {
  const deps = () => points.jobDeps();
  return {
    name: "points",
    jobs: pointsJobDefinitions(deps),
    afterInstall: async (shop) => scheduleNextNudges(deps(), shop),
    onSyncCompleted: async (shop) => onSyncCompletedPoints(deps(), shop),
    onOrderChanged: async (e) => onOrderChangedPoints(deps(), e),
    // GDPR topics: points deletes and exports its own tables (ADR 076).
    redactCustomers: (tx, shop, { customerIds }) => redactPointsCustomers(tx, shop, customerIds),
    redactShop: (tx, shop) => redactPointsShop(tx, shop),
    exportCustomerData: (sql, shop, customerIds) => exportPointsCustomers(sql, shop, customerIds),
  };
}

import { database } from "../db.server";
import { jobQueue } from "../jobs/worker.server";
import { adminClientForShop } from "../shopify/admin-client.server";
import type { NudgeDeps } from "./nudges";
import type { RedeemDeps } from "./redeem";
import { POINTS_JOBS } from "./jobs";

/** Production wiring of the points use cases (imported lazily by routes and job handlers). */
export function requestPointsSync(shop: string): Promise<void> {
  return jobQueue()
    .send(POINTS_JOBS.sync, { shop }, { singletonKey: `${POINTS_JOBS.sync}:${shop}` })
    .then(() => undefined);
}

export function redeemDeps(): RedeemDeps {
  return { sql: database.sql, client: adminClientForShop, onLedgerChanged: requestPointsSync };
}

export async function nudgeDeps(): Promise<NudgeDeps> {
  const { messenger, flowTriggers } = await import("../messaging/index.server");
  return { sql: database.sql, messenger: messenger(), flow: flowTriggers() };
}

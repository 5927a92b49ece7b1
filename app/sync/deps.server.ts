import { database } from "../db.server";
import { features, jobQueue } from "../jobs/worker.server";
import { runFeatureHooks } from "../jobs/feature";
import { adminClientForShop } from "../shopify/admin-client.server";
import type { SyncDeps } from "./deps";

/** The production wiring of the sync use cases. */
export function syncDeps(): SyncDeps {
  return {
    sql: database.sql,
    client: adminClientForShop,
    queue: jobQueue(),
    onSyncCompleted: (shop) => runFeatureHooks(features, "onSyncCompleted", shop),
    onOrderChanged: (event) => runFeatureHooks(features, "onOrderChanged", event),
  };
}

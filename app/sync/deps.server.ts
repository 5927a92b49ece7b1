import { database } from "../db.server";
import { jobQueue } from "../jobs/worker.server";
import { adminClientForShop } from "../shopify/admin-client.server";
import type { SyncDeps } from "./deps";

/** The production wiring of the sync use cases. */
export function syncDeps(): SyncDeps {
  return { sql: database.sql, client: adminClientForShop, queue: jobQueue() };
}

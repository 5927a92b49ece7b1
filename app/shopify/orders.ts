import { runBulkQuery } from "./bulk/operations";
import { bulkQueryText } from "./documents/bulk";
import { ORDERS_BULK_QUERY } from "./documents/orders";
import type { AdminClient } from "./graphql-client";

/**
 * Orders: the sync reads orders only through a bulk export (JSONL lines parsed by
 * bulk/records.ts). `filter` is a search filter (`updated_at:>'…'`) for a delta sync, null for all.
 */
export function startOrdersExport(client: AdminClient, filter: string | null): Promise<string> {
  return runBulkQuery(client, bulkQueryText(ORDERS_BULK_QUERY, filter));
}

import type { BulkOperation } from "../shopify/bulk/operations";
import type { SyncDeps } from "./deps";

/**
 * Stores what Shopify last said about one of a run's bulk operations. Shared by polling (run.ts)
 * and ingestion (ingest.ts), below both so neither imports the other back.
 */
export async function recordRemoteStatus(deps: Pick<SyncDeps, "sql">, bulkId: string, op: BulkOperation) {
  await deps.sql.query(
    `UPDATE "SyncBulkOperation" SET status = $2, "errorCode" = $3, "objectCount" = $4, "completedAt" = $5 WHERE id = $1`,
    [bulkId, op.status, op.errorCode ?? null, op.objectCount, op.completedAt ? new Date(op.completedAt) : null],
  );
}

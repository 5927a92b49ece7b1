import { z } from "zod";
import { parseOrThrow } from "../lib/parse";
import type { WebhookHandler } from "../webhooks/handlers.server";
import type { SyncDeps } from "./context";
import { onBulkOperationFinished } from "./poll";
import { applyCustomerWebhook, applyOrderChange } from "./store/live";

const BulkFinish = z.object({ admin_graphql_api_id: z.string().min(1), status: z.string().optional(), error_code: z.string().nullish() });

/**
 * Webhook topics of the sync, the end of its chain (docs/decisions/075-sync-chain.md): live order
 * and customer updates (newest wins, app/sync/store/live.ts) and the bulk-operation finish signal
 * for the poll step. Deduplication by X-Shopify-Webhook-Id happens in the dispatcher; handlers are
 * idempotent anyway (newest-wins upserts, singleton ingestion jobs).
 */
export function syncWebhookHandlers(deps: () => SyncDeps | Promise<SyncDeps>): Record<string, WebhookHandler> {
  // Features react only to a change that won (a stale, late delivery changes nothing).
  const orderHandler: WebhookHandler = async ({ shop, payload, db }) => {
    const { outcome, ...change } = await applyOrderChange(db.sql, shop, payload);
    if (outcome !== "applied") return;
    await (await deps()).onOrderChanged?.({ shop, ...change });
  };
  return {
    BULK_OPERATIONS_FINISH: async ({ shop, payload }) => {
      const p = parseOrThrow(BulkFinish, payload, "bulk_operations/finish");
      await onBulkOperationFinished(await deps(), { shop, bulkId: p.admin_graphql_api_id });
    },
    ORDERS_CREATE: orderHandler,
    ORDERS_UPDATED: orderHandler,
    CUSTOMERS_UPDATE: async ({ shop, payload, db }) => void (await applyCustomerWebhook(db.sql, shop, payload)),
  };
}

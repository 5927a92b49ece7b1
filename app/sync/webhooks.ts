import { z } from "zod";
import { parseOrThrow } from "../lib/parse";
import type { WebhookHandler } from "../webhooks/handlers.server";
import { SYNC_JOBS, type OrdersWritten, type SyncDeps } from "./context";
import { onBulkOperationFinished } from "./poll";
import type { Sql } from "../db/sql";
import { applyCustomerWebhook, applyOrderChanges, parseOrderWebhook, type AppliedOrder, type ParsedOrderWebhook } from "./store/live";

const BulkFinish = z.object({ admin_graphql_api_id: z.string().min(1), status: z.string().optional(), error_code: z.string().nullish() });

/**
 * Webhook topics of the sync, the end of its chain (docs/decisions/075-sync-chain.md): live order
 * and customer updates (newest wins, app/sync/store/live.ts) and the bulk-operation finish signal
 * for the poll step. Deduplication by X-Shopify-Webhook-Id happens in the dispatcher; handlers are
 * idempotent anyway (newest-wins upserts, singleton ingestion jobs).
 */
export function syncWebhookHandlers(deps: () => SyncDeps | Promise<SyncDeps>): Record<string, WebhookHandler> {
  // Features react only to a change that won (a stale, late delivery changes nothing), and not
  // while Shopify waits for the answer: one job per written batch runs their onOrderChanged
  // (ADR 108). Under a storm those reactions were most of a delivery's statements (each feature's
  // queries, each its own shop-scoped transaction); queued, a delivery is answered once its order
  // is stored and its batch's reactions are durably queued, and the reactions catch up behind it.
  const queueReactions: AfterApplied = async (shop, changes) => {
    await (await deps()).queue.send(SYNC_JOBS.reactions, { shop, changes });
  };
  const orderHandler: WebhookHandler = async ({ shop, payload, db }) => {
    // Parsed here, so bad input fails this delivery alone (400) before it joins a batch.
    const order = parseOrderWebhook(payload);
    const d = await deps();
    await orderBatcher.apply(db.sql, shop, order, d.onOrdersWritten, d.onOrderChanged ? queueReactions : undefined);
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

/** Most orders written in one transaction. */
const MAX_BATCH = 200;

/** The orders of one batch that changed, after their transaction committed; a failure fails their deliveries. */
export type AfterApplied = (shop: string, changes: Array<Omit<AppliedOrder, "outcome">>) => Promise<void>;

interface Pending {
  sql: Sql;
  shop: string;
  order: ParsedOrderWebhook;
  onWritten: OrdersWritten | undefined;
  afterApplied: AfterApplied | undefined;
  resolve: (r: AppliedOrder) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit for order webhooks (docs/decisions/087-scale-benchmark.md). Under a storm (1,000
 * orders/s) one transaction per order costs ten round trips each, and the connection pool, not the
 * rows, is the limit. Deliveries that arrive while a batch is being written wait for the next one,
 * which writes them all in one transaction (applyOrderChanges): an idle app writes at once (no
 * timer), a busy one writes larger batches. A delivery is answered only after its batch committed,
 * so nothing acknowledged is lost. One batch is one shop and distinct order ids (a second version
 * of an order waits for the next batch, keeping newest-wins in arrival order). A failed batch is
 * retried one order at a time, so a bad order fails its own delivery only.
 */
export function createOrderBatcher(maxBatch = MAX_BATCH) {
  const queue: Pending[] = [];
  let running = false;

  /** The batch's reactions (orders that changed), before any of its deliveries is answered. */
  async function react(batch: Pending[], results: AppliedOrder[]) {
    const after = batch[0]!.afterApplied;
    const changes = results.filter((r) => r.outcome === "applied").map(({ outcome: _, ...change }) => change);
    if (after && changes.length) await after(batch[0]!.shop, changes);
  }

  async function write(batch: Pending[]) {
    const { sql, shop } = batch[0]!;
    let results: AppliedOrder[];
    try {
      results = await applyOrderChanges(
        sql,
        shop,
        batch.map((p) => p.order),
        batch[0]!.onWritten,
      );
    } catch (e) {
      if (batch.length === 1) return batch[0]!.reject(e);
      for (const p of batch) {
        try {
          const one = await applyOrderChanges(p.sql, p.shop, [p.order], p.onWritten);
          await react([p], one);
          p.resolve(one[0]!);
        } catch (err) {
          p.reject(err);
        }
      }
      return;
    }
    // Stored but not yet queued for the features: their deliveries fail (500) and Shopify's retry
    // writes the same version again (newest wins on equal updated_at) and queues its reactions.
    try {
      await react(batch, results);
    } catch (e) {
      return batch.forEach((p) => p.reject(e));
    }
    batch.forEach((p, i) => p.resolve(results[i]!));
  }

  async function drain() {
    running = true;
    try {
      while (queue.length) {
        const first = queue[0]!;
        const ids = new Set<string>();
        const batch: Pending[] = [];
        const rest: Pending[] = [];
        for (const p of queue) {
          const same =
            p.sql === first.sql && p.shop === first.shop && p.onWritten === first.onWritten && p.afterApplied === first.afterApplied;
          if (batch.length < maxBatch && same && !ids.has(p.order.id)) {
            ids.add(p.order.id);
            batch.push(p);
          } else rest.push(p);
        }
        queue.splice(0, queue.length, ...rest);
        await write(batch);
      }
    } finally {
      running = false;
    }
  }

  return {
    apply(
      sql: Sql,
      shop: string,
      order: ParsedOrderWebhook,
      onWritten?: OrdersWritten,
      afterApplied?: AfterApplied,
    ): Promise<AppliedOrder> {
      return new Promise<AppliedOrder>((resolve, reject) => {
        queue.push({ sql, shop, order, onWritten, afterApplied, resolve, reject });
        if (!running) void drain();
      });
    },
  };
}

/** One per process: every order webhook of this process joins its batches. */
const orderBatcher = createOrderBatcher();

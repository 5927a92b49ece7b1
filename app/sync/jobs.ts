import { z } from "zod";
import { defineJob, type JobDefinition } from "../jobs/queue";
import { SYNC_JOBS, type SyncDeps } from "./context";
import { runDeltaSync, startSync } from "./start";
import { pollSync } from "./poll";
import { ingestBulkOperation } from "./ingest";
import { failRun } from "./finalize";
import { ShopDomain } from "../lib/parse";

/**
 * The sync's jobs. Every payload carries `shop` (shop/redact deletes a shop's jobs by it).
 * - sync.start  {shop, kind?}          singleton per shop: claim a run, start both bulk queries
 * - sync.poll   {shop, runId}          fallback when no finish webhook came; re-schedules itself with back-off
 * - sync.ingest {shop, runId, bulkId}  stream one finished operation into staging; the last one merges
 * - sync.delta  {shop}                 periodic healing sync (updated_at > watermark), every 6 h
 * - sync.order-reactions {shop, changes} the features' onOrderChanged for one batch of order webhooks (ADR 108)
 */

const OrderChangeSchema = z.object({
  orderId: z.string().min(1),
  customerId: z.string().min(1).nullable(),
  previousCustomerId: z.string().min(1).nullish(),
});

export function syncJobDefinitions(deps: () => SyncDeps | Promise<SyncDeps>): JobDefinition[] {
  return [
    defineJob({
      queue: SYNC_JOBS.start,
      singleton: true,
      payload: z.object({ shop: ShopDomain, kind: z.enum(["initial", "delta"]).optional() }),
      handler: async (p) => void (await startSync(await deps(), p)),
      expireInSeconds: 120,
      onGiveUp: async (p, err) => void (await failRun(await deps(), { shop: p.shop }, err)),
    }),
    defineJob({
      queue: SYNC_JOBS.poll,
      singleton: true,
      payload: z.object({ shop: ShopDomain, runId: z.string().min(1) }),
      handler: async (p) => void (await pollSync(await deps(), p)),
      expireInSeconds: 120,
      onGiveUp: async (p, err) => void (await failRun(await deps(), p, err)),
    }),
    defineJob({
      queue: SYNC_JOBS.ingest,
      singleton: true,
      payload: z.object({ shop: ShopDomain, runId: z.string().min(1), bulkId: z.string().min(1) }),
      handler: async (p) => void (await ingestBulkOperation(await deps(), p.bulkId)),
      // Streams a file of up to gigabytes: long, but renewed while its runner lives; resumable
      // from its last committed batch when taken over.
      expireInSeconds: 300,
      onGiveUp: async (p, err) => void (await failRun(await deps(), p, err)),
    }),
    defineJob({
      queue: SYNC_JOBS.reactions,
      payload: z.object({ shop: ShopDomain, changes: z.array(OrderChangeSchema).min(1) }),
      // In order: a later change of one order must not be reacted to before an earlier one. A failure
      // retries the batch; every reaction is idempotent (Shopify's retries already ran them twice).
      handler: async (p) => {
        const d = await deps();
        for (const c of p.changes) await d.onOrderChanged?.({ shop: p.shop, ...c });
      },
      expireInSeconds: 300,
    }),
    defineJob({
      queue: SYNC_JOBS.delta,
      singleton: true,
      payload: z.object({ shop: ShopDomain }),
      handler: async (p) => void (await runDeltaSync(await deps(), p)),
      expireInSeconds: 120,
      onGiveUp: async (p, err) => void (await failRun(await deps(), { shop: p.shop }, err)),
    }),
  ];
}

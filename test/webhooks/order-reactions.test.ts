import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrderBatcher, syncWebhookHandlers, type AfterApplied } from "../../app/sync/webhooks";
import { syncJobDefinitions } from "../../app/sync/jobs";
import { SYNC_JOBS, type SyncDeps } from "../../app/sync/context";
import { parseOrderWebhook } from "../../app/sync/store/live";
import type { OrderChanged } from "../../app/jobs/feature";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";

/**
 * The features' reactions to order webhooks run in a job, one per written batch, not while Shopify
 * waits for the answer (docs/decisions/108-webhook-storm.md): a delivery is answered once its order
 * is stored and its batch's reactions are queued; a stale version queues nothing; a failed queueing
 * fails the batch's deliveries (Shopify retries them) though their orders are stored.
 */
const S = "reactions.myshopify.com";

function order(id: number, customerId: number, hour: number) {
  const at = new Date(Date.UTC(2026, 9, 1) + hour * 3600_000).toISOString();
  return {
    id,
    name: `#${id}`,
    created_at: at,
    processed_at: at,
    updated_at: at,
    currency: "USD",
    total_price: "10.00",
    customer: { id: customerId },
    line_items: [],
  };
}

describe.each(databaseKinds)("order webhook reactions queued per batch (%s)", (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
  });
  afterAll(async () => t?.drop());

  it("queues one job per batch with the orders that changed, before any delivery is answered", async () => {
    const batcher = createOrderBatcher(50);
    const queued: Array<{ shop: string; changes: unknown[] }> = [];
    const after: AfterApplied = async (shop, changes) => void queued.push({ shop, changes });
    const first = await batcher.apply(t.db.sql, S, parseOrderWebhook(order(1, 10, 5)), undefined, after);
    expect(first.outcome).toBe("applied");
    expect(queued).toEqual([{ shop: S, changes: [{ orderId: "1", customerId: "10", previousCustomerId: null }] }]);
    // 120 at once: batches of at most 50, each queued once, every changed order in exactly one.
    queued.length = 0;
    const many = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        batcher.apply(t.db.sql, S, parseOrderWebhook(order(100 + i, 20 + (i % 3), i)), undefined, after),
      ),
    );
    expect(many.every((r) => r.outcome === "applied")).toBe(true);
    expect(queued.every((q) => q.changes.length <= 50)).toBe(true);
    expect(queued.flatMap((q) => q.changes.map((c) => (c as { orderId: string }).orderId)).sort()).toEqual(
      many.map((r) => r.orderId).sort(),
    );
    // An older version delivered late changes nothing and queues nothing.
    queued.length = 0;
    const stale = await batcher.apply(t.db.sql, S, parseOrderWebhook(order(1, 10, 1)), undefined, after);
    expect(stale.outcome).toBe("stale");
    expect(queued).toEqual([]);
  });

  it("a batch whose reactions cannot be queued fails its deliveries; the retry stores the same version and queues them", async () => {
    const batcher = createOrderBatcher();
    let fail = true;
    const queued: unknown[] = [];
    const after: AfterApplied = async (_shop, changes) => {
      if (fail) throw new Error("queue unavailable");
      queued.push(...changes);
    };
    await expect(batcher.apply(t.db.sql, S, parseOrderWebhook(order(500, 50, 3)), undefined, after)).rejects.toThrow("queue unavailable");
    fail = false;
    const retry = await batcher.apply(t.db.sql, S, parseOrderWebhook(order(500, 50, 3)), undefined, after);
    expect(retry.outcome).toBe("applied");
    expect(queued).toEqual([{ orderId: "500", customerId: "50", previousCustomerId: null }]);
  });

  it("the order handler sends the reactions job, and the job runs every feature's onOrderChanged in order", async () => {
    const seen: OrderChanged[] = [];
    const sent: Array<{ name: string; payload: unknown }> = [];
    const deps = {
      sql: t.db.sql,
      queue: { send: async (name: string, payload: unknown) => (sent.push({ name, payload }), "job-1") },
      onOrderChanged: async (e: OrderChanged) => void seen.push(e),
    } as unknown as SyncDeps;
    const handlers = syncWebhookHandlers(() => deps);
    await handlers.ORDERS_CREATE!({ shop: S, topic: "ORDERS_CREATE", payload: order(900, 90, 7), webhookId: "w-900", db: t.db });
    expect(seen).toEqual([]); // not while the delivery waits
    expect(sent).toEqual([
      { name: SYNC_JOBS.reactions, payload: { shop: S, changes: [{ orderId: "900", customerId: "90", previousCustomerId: null }] } },
    ]);
    const job = syncJobDefinitions(() => deps).find((d) => d.queue === SYNC_JOBS.reactions)!;
    await job.handler(job.payload.parse(sent[0]!.payload), { jobId: "job-1", attempt: 1 });
    expect(seen).toEqual([{ shop: S, orderId: "900", customerId: "90", previousCustomerId: null }]);
  });
});

import { z } from "zod";
import type { Feature } from "../jobs/feature";
import { defineJob } from "../jobs/queue";
import { CONSENT_JOB } from "./unsubscribe";
import { ShopDomain } from "../lib/parse";

/** A rejected consent update is sent again at most once a day by the sync hook (ADR 074). */
const DAILY_MS = 20 * 3600_000;

async function requeue(shop: string, minAgeMs: number) {
  const [{ database }, { jobQueue }, { requeueConsentUpdates }] = await Promise.all([
    import("../db.server"),
    import("../jobs/worker.server"),
    import("./unsubscribe"),
  ]);
  const n = await requeueConsentUpdates({ sql: database.sql, queue: jobQueue() }, shop, { minAgeMs });
  if (n) console.info(`[messaging] ${shop}: ${n} consent update(s) sent to Shopify again`);
}

/**
 * The messaging feature's jobs: `messaging.consent {shop, customerId}` tells Shopify a customer
 * unsubscribed (or complained). Wiring is imported lazily: shopify.server imports the composition root.
 * Consent updates Shopify has not confirmed (rejected, or whose job was lost) are sent again after
 * each authorization of the app (an update of the app or its scopes may have fixed the cause) and
 * after a sync, at most daily per row.
 */
export const messagingFeature: Feature = {
  name: "messaging",
  jobs: [
    defineJob({
      queue: CONSENT_JOB,
      singleton: true,
      payload: z.object({ shop: ShopDomain, customerId: z.string().regex(/^\d{1,20}$/) }),
      handler: async (p) => {
        const [{ database }, { adminClientForShop }, { syncConsentToShopify }] = await Promise.all([
          import("../db.server"),
          import("../shopify/admin-client.server"),
          import("./unsubscribe"),
        ]);
        await syncConsentToShopify({ sql: database.sql, client: adminClientForShop }, p);
      },
    }),
  ],
  afterInstall: async (shop) => requeue(shop, 0),
  onSyncCompleted: async (shop) => requeue(shop, DAILY_MS),
};

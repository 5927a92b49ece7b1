import { z } from "zod";
import type { AppContext, Feature } from "../jobs/feature";
import { defineJob } from "../jobs/queue";
import { ShopDomain } from "../lib/parse";
import { CONSENT_JOB, requeueConsentUpdates, syncConsentToShopify } from "./unsubscribe";

/** A rejected consent update is sent again at most once a day by the sync hook (ADR 074). */
const DAILY_MS = 20 * 3600_000;

/**
 * The messaging feature's jobs: `messaging.consent {shop, customerId}` tells Shopify a customer
 * unsubscribed (or complained). Consent updates Shopify has not confirmed (rejected, or whose job
 * was lost) are sent again after each authorization of the app (an update of the app or its scopes
 * may have fixed the cause) and after a sync, at most daily per row.
 */
export function createMessagingFeature(ctx: AppContext): Feature {
  async function requeue(shop: string, minAgeMs: number) {
    const n = await requeueConsentUpdates({ sql: ctx.db.sql, queue: ctx.queue }, shop, { minAgeMs });
    if (n) console.info(`[messaging] ${shop}: ${n} consent update(s) sent to Shopify again`);
  }
  return {
    name: "messaging",
    jobs: [
      defineJob({
        queue: CONSENT_JOB,
        singleton: true,
        payload: z.object({ shop: ShopDomain, customerId: z.string().regex(/^\d{1,20}$/) }),
        handler: async (p) => void (await syncConsentToShopify({ sql: ctx.db.sql, client: ctx.adminClient }, p)),
      }),
    ],
    afterInstall: async (shop) => requeue(shop, 0),
    onSyncCompleted: async (shop) => requeue(shop, DAILY_MS),
  };
}

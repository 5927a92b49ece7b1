import { z } from "zod";
import type { AppContext } from "../jobs/feature";
import { defineJob, type JobDefinition } from "../jobs/queue";
import { ShopDomain } from "../lib/parse";
import { CONSENT_JOB, syncConsentToShopify } from "./unsubscribe";

/**
 * Messaging's job: `messaging.consent {shop, customerId}` tells Shopify a customer unsubscribed (or
 * complained). One per customer at a time (singleton): a second unsubscribe while the first is
 * queued has nothing new to say.
 */
export function messagingJobDefinitions(ctx: Pick<AppContext, "db" | "adminClient">): JobDefinition[] {
  return [
    defineJob({
      queue: CONSENT_JOB,
      singleton: true,
      payload: z.object({ shop: ShopDomain, customerId: z.string().regex(/^\d{1,20}$/) }),
      handler: async (p) => void (await syncConsentToShopify({ sql: ctx.db.sql, client: ctx.adminClient }, p)),
    }),
  ];
}

import { z } from "zod";
import type { Feature } from "../jobs/feature";
import { defineJob } from "../jobs/queue";
import { CONSENT_JOB } from "./unsubscribe";
import { ShopDomain } from "../lib/parse";


/**
 * The messaging feature's jobs: `messaging.consent {shop, customerId}` tells Shopify a customer
 * unsubscribed (or complained). Wiring is imported lazily: shopify.server imports the composition root.
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
};

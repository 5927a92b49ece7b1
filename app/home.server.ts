import { remixAdminClient } from "./shopify/graphql-client";
import { fetchShopOverview } from "./shopify/shop";
import type { AppContext } from "./jobs/feature";
import { loadSyncStatus } from "./sync/status";
import { loadRiskDashboard } from "./analysis/page.server";
import { wonBackReport } from "./analysis/won-back";
import { consentSyncSummary, requeueConsentUpdates } from "./messaging/unsubscribe";
import { describeProtectedDataAccess, protectedDataAccess } from "./shopify/protected-data";
import { protectedDataCache } from "./shop-settings.server";

interface GraphqlCapable {
  graphql(query: string, opts?: { variables?: Record<string, unknown> }): Promise<Response>;
}

/** What the home page shows, read live from the shop through the Admin API. */
export async function loadHome(
  ctx: Pick<AppContext, "db" | "adminClient" | "now">,
  { shop, admin }: { shop: string; admin: GraphqlCapable },
) {
  const { db: database } = ctx;
  const s = await fetchShopOverview(remixAdminClient(shop, admin));
  await database.ready();
  return {
    overview: {
      name: s.name,
      myshopifyDomain: s.myshopifyDomain,
      currencyCode: s.currencyCode,
      ianaTimezone: s.ianaTimezone,
      ordersCount: s.ordersCount,
      customersCount: s.customersCount,
    },
    // Order sync progress / outcome, from the app's own database (no Shopify call).
    sync: await loadSyncStatus(database.sql, shop),
    // Risk dashboard: the latest completed analysis (scores), plus a running or failed newer run.
    analysis: await loadRiskDashboard(ctx, shop),
    // Won-back customers: healthy, at risk of lapsing again, lapsed again; codes redeemed or ignored (ADR 102).
    wonBack: await wonBackReport(database.sql, shop, ctx.now(), { waitForHistory: false }),
    // Unsubscribes Shopify has not accepted (ADR 074): shown with Shopify's own message and a Retry.
    consent: await consentSyncSummary(database.sql, shop),
    // What Shopify withholds as protected customer data (probed at most every few hours).
    protectedData: describeProtectedDataAccess(
      await protectedDataAccess({ cache: protectedDataCache(database.sql), client: ctx.adminClient }, shop),
    ),
  };
}

/** The dashboard's Retry: sends every unconfirmed consent withdrawal to Shopify again (jobs, not in the request). */
export async function retryConsentUpdates(ctx: Pick<AppContext, "db" | "queue">, shop: string): Promise<{ queued: number }> {
  await ctx.db.ready();
  return { queued: await requeueConsentUpdates({ sql: ctx.db.sql, queue: ctx.queue }, shop, { manual: true }) };
}

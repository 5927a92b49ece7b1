import { z } from "zod";
import { parseOrThrow } from "./lib/parse";
import { SHOP_OVERVIEW_QUERY } from "./shopify/documents/shop";
import { AppError } from "./lib/errors";
import type { AppContext } from "./jobs/feature";
import { loadSyncStatus } from "./sync/status";
import { latestAnalysis } from "./analysis/run";
import { consentSyncSummary, requeueConsentUpdates } from "./messaging/unsubscribe";
import { describeProtectedDataAccess, protectedDataAccess } from "./shopify/protected-data";

interface GraphqlCapable {
  graphql(query: string, opts?: { variables?: Record<string, unknown> }): Promise<Response>;
}

const Overview = z.object({
  data: z.object({
    shop: z.object({ name: z.string(), myshopifyDomain: z.string(), currencyCode: z.string(), ianaTimezone: z.string() }),
    ordersCount: z.object({ count: z.number() }).nullable(),
    customersCount: z.object({ count: z.number() }).nullable(),
  }),
});

/** What the home page shows, read live from the shop through the Admin API. */
export async function loadHome(ctx: Pick<AppContext, "db" | "adminClient">, { shop, admin }: { shop: string; admin: GraphqlCapable }) {
  const { db: database } = ctx;
  const res = await admin.graphql(SHOP_OVERVIEW_QUERY);
  const body = (await res.json()) as { errors?: unknown };
  if (body.errors) throw new AppError("SHOPIFY_GRAPHQL", "Shop overview failed", { details: body.errors });
  const { data } = parseOrThrow(Overview, body, "shop overview");
  await database.ready();
  return {
    overview: { ...data.shop, ordersCount: data.ordersCount?.count ?? 0, customersCount: data.customersCount?.count ?? 0 },
    // Order sync progress / outcome, from the app's own database (no Shopify call).
    sync: await loadSyncStatus(database.sql, shop),
    // Risk dashboard: the latest completed analysis (scores), plus a running or failed newer run.
    analysis: await latestAnalysis(database.sql, shop),
    // Unsubscribes Shopify has not accepted (ADR 074): shown with Shopify's own message and a Retry.
    consent: await consentSyncSummary(database.sql, shop),
    // What Shopify withholds as protected customer data (probed at most every few hours).
    protectedData: describeProtectedDataAccess(await protectedDataAccess({ sql: database.sql, client: ctx.adminClient }, shop)),
  };
}

/** The dashboard's Retry: sends every unconfirmed consent withdrawal to Shopify again (jobs, not in the request). */
export async function retryConsentUpdates(ctx: Pick<AppContext, "db" | "queue">, shop: string): Promise<{ queued: number }> {
  await ctx.db.ready();
  return { queued: await requeueConsentUpdates({ sql: ctx.db.sql, queue: ctx.queue }, shop, { manual: true }) };
}

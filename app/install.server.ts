import { z } from "zod";
import { database } from "./db.server";
import { parseOrThrow } from "./lib/parse";
import { SHOP_OVERVIEW_QUERY } from "./shopify/documents/shop";
import type { WebhookHandler } from "./webhooks/handlers.server";
import { afterInstallHooks } from "./jobs/worker.server";

interface GraphqlCapable {
  graphql(query: string, opts?: { variables?: Record<string, unknown> }): Promise<Response>;
}

const ShopOverview = z.object({
  data: z.object({
    shop: z.object({
      name: z.string(),
      myshopifyDomain: z.string(),
      currencyCode: z.string(),
      ianaTimezone: z.string(),
      email: z.string().nullish(),
    }),
  }),
});

/**
 * Runs after every token exchange (install, reinstall, token refresh): keep the shop's facts
 * current and make sure the first order sync is under way, without the merchant clicking anything.
 */
export async function onAuthenticated({ shop, scope, admin }: { shop: string; scope?: string; admin: GraphqlCapable }) {
  await database.ready();
  const res = await admin.graphql(SHOP_OVERVIEW_QUERY);
  const body = parseOrThrow(ShopOverview, await res.json(), "shop overview");
  const s = body.data.shop;
  await database.prisma.shop.upsert({
    where: { domain: shop },
    create: { domain: shop, name: s.name, currencyCode: s.currencyCode, ianaTimezone: s.ianaTimezone, email: s.email ?? null, scopes: scope ?? null },
    update: { name: s.name, currencyCode: s.currencyCode, ianaTimezone: s.ianaTimezone, email: s.email ?? null, scopes: scope ?? null, uninstalledAt: null },
  });
  for (const hook of afterInstallHooks) await hook(shop);
}

const ScopesUpdate = z.object({ current: z.array(z.string()) });

export const appHandlers: Record<string, WebhookHandler> = {
  APP_UNINSTALLED: async ({ shop, db }) => {
    // Sessions go at once (the token is dead); data stays until shop/redact, 48 hours later.
    await db.prisma.session.deleteMany({ where: { shop } });
    await db.prisma.shop.updateMany({ where: { domain: shop }, data: { uninstalledAt: new Date() } });
  },
  APP_SCOPES_UPDATE: async ({ shop, payload, session, db }) => {
    const p = parseOrThrow(ScopesUpdate, payload, "app/scopes_update");
    if (session) await db.prisma.session.update({ where: { id: session.id }, data: { scope: p.current.join(",") } });
    await db.prisma.shop.updateMany({ where: { domain: shop }, data: { scopes: p.current.join(",") } });
  },
};

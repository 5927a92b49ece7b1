import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { appContext, proxyScope } from "../app.server";
import { translate } from "../lib/i18n";
import { customerPoints } from "../points/read-overview";
import { shopCustomerLocale } from "../points/proxy-texts";

/**
 * GET /apps/winback/points: the logged-in shopper's balance and next expiry (JSON), through the
 * signed app proxy. Texts are in the shop's customer locale; while points are off it answers 404
 * (no banner data before the merchant turned points on, ADR 079).
 */
export const loader = async ({ request }: LoaderFunctionArgs) =>
  proxyScope(request, async (shop) => {
    const customerId = new URL(request.url).searchParams.get("logged_in_customer_id") ?? "";
    const headers = { "Cache-Control": "no-store" };
    await appContext.db.ready();
    const locale = await shopCustomerLocale(appContext.db.sql, shop);
    if (!/^\d{1,20}$/.test(customerId)) return json({ error: translate(locale, "proxy.login") }, { status: 401, headers });
    const points = await customerPoints(appContext.db.sql, shop, customerId, appContext.now());
    if (!points) return json({ error: translate(locale, "proxy.unavailable"), code: "NOT_FOUND" }, { status: 404, headers });
    return json(points, { headers });
  });

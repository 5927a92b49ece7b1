import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { authenticate } from "../shopify.server";
import { database } from "../db.server";
import { customerPoints } from "../points/read-overview";

/** GET /apps/winback/points: the logged-in shopper's balance and next expiry (JSON), through the signed app proxy. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  await authenticate.public.appProxy(request);
  const url = new URL(request.url);
  const shop = url.searchParams.get("shop") ?? "";
  const customerId = url.searchParams.get("logged_in_customer_id") ?? "";
  const headers = { "Cache-Control": "no-store" };
  if (!/^\d{1,20}$/.test(customerId)) return json({ error: "Log in to see your points." }, { status: 401, headers });
  await database.ready();
  return json(await customerPoints(database.sql, shop, customerId, new Date()), { headers });
};

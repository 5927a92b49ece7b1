import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { database } from "../db.server";
import { messaging, proxyScope } from "../app.server";
import { AppError } from "../lib/errors";
import { errorResponse, jsonError, jsonResponse } from "../lib/http";
import { recordVisit } from "../messaging/engagement";

/**
 * POST /apps/winback/visit on the storefront, forwarded by Shopify's app proxy to /proxy/visit
 * (docs/decisions/102-visits-codes-and-won-back-health.md). The theme app embed sends it only for
 * a logged-in customer whose Customer Privacy API allows analytics. The signature over the query is
 * verified by authenticate.public.appProxy (forged or missing → 400, nothing recorded); the shop
 * and the customer come from that signed query only (`shop`, `logged_in_customer_id`), never from
 * the body, which carries just the path and the message reference. A guest is 204, nothing stored.
 */
const NO_STORE = { "Cache-Control": "no-store" };

async function readJson(request: Request): Promise<unknown> {
  // fetch sends application/json, sendBeacon text/plain: the body is JSON either way.
  const text = await request.text();
  if (text.length > 4096) throw new AppError("INVALID_INPUT", "the visit body is too large");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError("INVALID_INPUT", "the request body is not valid JSON");
  }
}

export const action = async ({ request }: ActionFunctionArgs) =>
  proxyScope(request, async (shop) => {
    const customerId = new URL(request.url).searchParams.get("logged_in_customer_id") ?? "";
    try {
      if (!customerId) return new Response(null, { status: 204, headers: NO_STORE });
      const body = await readJson(request);
      await database.ready();
      const r = await recordVisit(messaging.engagementDeps(), { shop, customerId, body });
      if (r.status === 204) return new Response(null, { status: 204, headers: NO_STORE });
      return jsonResponse(r, { status: r.status, headers: NO_STORE });
    } catch (e) {
      return errorResponse(e, { headers: NO_STORE, codes: ["INVALID_INPUT"] });
    }
  });

export const loader = async ({ request }: LoaderFunctionArgs) =>
  proxyScope(request, async () => jsonError(405, "Use POST.", { headers: { ...NO_STORE, Allow: "POST" } }));

import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { AppError } from "../lib/errors";
import { translate } from "../lib/i18n";
import { redeemPoints } from "../points/redeem-points";
import { proxyFailure, shopCustomerLocale } from "../points/proxy-texts";
import { appContext, pointsDeps, proxyScope } from "../app.server";

/**
 * POST /apps/winback/redeem on the storefront, forwarded by Shopify's app proxy to /proxy/redeem
 * with a signature over the query (verified by authenticate.public.appProxy: forged → 400) and
 * `logged_in_customer_id` (empty for guests). Body: JSON `{ points, idempotencyKey }` or a form;
 * the key may also come in X-Idempotency-Key. Errors are in the shop's customer locale, with a
 * stable `code` for scripts.
 */
const NO_STORE = { "Cache-Control": "no-store" };

async function readBody(request: Request): Promise<Record<string, unknown>> {
  const type = request.headers.get("Content-Type") ?? "";
  if (type.includes("application/json")) {
    try {
      const b = await request.json();
      return b && typeof b === "object" ? (b as Record<string, unknown>) : {};
    } catch {
      throw new AppError("INVALID_INPUT", "the request body is not valid JSON");
    }
  }
  return Object.fromEntries(await request.formData());
}

export const action = async ({ request }: ActionFunctionArgs) =>
  proxyScope(request, async (shop) => {
    const url = new URL(request.url);
    const customerId = url.searchParams.get("logged_in_customer_id") ?? "";
    await appContext.db.ready();
    const locale = await shopCustomerLocale(appContext.db.sql, shop);
    if (!customerId) return json({ error: translate(locale, "proxy.loginRedeem") }, { status: 401, headers: NO_STORE });
    try {
      const body = await readBody(request);
      const r = await redeemPoints(pointsDeps.redeemDeps(), {
        shop,
        customerId,
        points: body.points as number,
        idempotencyKey: String(body.idempotencyKey ?? request.headers.get("X-Idempotency-Key") ?? ""),
      });
      return json(r, { headers: NO_STORE });
    } catch (e) {
      if (!(e instanceof AppError)) console.error("[points] redeem failed", e);
      const f = proxyFailure(locale, e);
      return json({ error: f.error, code: f.code }, { status: f.status, headers: NO_STORE });
    }
  });

export const loader = async ({ request }: LoaderFunctionArgs) =>
  proxyScope(request, async (shop) => {
    await appContext.db.ready();
    const error = translate(await shopCustomerLocale(appContext.db.sql, shop), "proxy.usePost");
    return json({ error }, { status: 405, headers: { ...NO_STORE, Allow: "POST" } });
  });

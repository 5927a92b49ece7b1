import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { authenticate } from "../shopify.server";
import { database } from "../db.server";
import { AppError, httpStatusFor, isAppError } from "../lib/errors";
import { redeemPoints } from "../points/redeem-points";
import { pointsDeps } from "../app.server";

/**
 * POST /apps/winback/redeem on the storefront, forwarded by Shopify's app proxy to /proxy/redeem
 * with a signature over the query (verified by authenticate.public.appProxy: forged → 400) and
 * `logged_in_customer_id` (empty for guests). Body: JSON `{ points, idempotencyKey }` or a form;
 * the key may also come in X-Idempotency-Key.
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

export const action = async ({ request }: ActionFunctionArgs) => {
  await authenticate.public.appProxy(request);
  const url = new URL(request.url);
  const shop = url.searchParams.get("shop") ?? "";
  const customerId = url.searchParams.get("logged_in_customer_id") ?? "";
  if (!customerId) return json({ error: "Log in to redeem your points." }, { status: 401, headers: NO_STORE });
  try {
    const body = await readBody(request);
    await database.ready();
    const r = await redeemPoints(pointsDeps.redeemDeps(), {
      shop,
      customerId,
      points: body.points as number,
      idempotencyKey: String(body.idempotencyKey ?? request.headers.get("X-Idempotency-Key") ?? ""),
    });
    return json(r, { headers: NO_STORE });
  } catch (e) {
    if (isAppError(e)) {
      const status = e.code === "NETWORK" ? 503 : httpStatusFor(e.code);
      return json({ error: e.message, code: e.code }, { status, headers: NO_STORE });
    }
    console.error("[points] redeem failed", e);
    return json({ error: "Something went wrong." }, { status: 500, headers: NO_STORE });
  }
};

export const loader = async ({ request }: LoaderFunctionArgs) => {
  await authenticate.public.appProxy(request);
  return json({ error: "Use POST to redeem." }, { status: 405, headers: { ...NO_STORE, Allow: "POST" } });
};

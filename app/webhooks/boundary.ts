import { AppError } from "../lib/errors";

/**
 * Checks at the webhook boundary that need no database: body size, delivery age, and the shop a
 * signed body names (docs/decisions/005-webhook-boundary.md).
 */

/**
 * Largest webhook body read. Shopify publishes no cap for HTTPS deliveries; its largest documented
 * one is 1,000,000 bytes (EventBridge, shopify.dev changelog "Amazon EventBridge webhook payload
 * size limit increased to 1 MB", where bigger payloads fall back to `{"id": …}`), and Shopify staff
 * put order bodies at "upwards of a megabyte". 5 MiB leaves room for any real order while a forged
 * 40 MB body is refused before it is buffered.
 */
export const MAX_WEBHOOK_BODY_BYTES = 5 * 1024 * 1024;

/**
 * Shopify retries a failed delivery 8 times over 4 hours, with the original payload and the
 * original X-Shopify-Triggered-At (shopify.dev changelog "Updates to webhook retry mechanism",
 * 2024-09-10). A delivery triggered longer ago than that plus an hour of slack for clock skew and
 * backoff jitter is not one Shopify would send: refused.
 */
export const MAX_DELIVERY_AGE_MS = 5 * 60 * 60_000;

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`Webhook body exceeds ${limit} bytes`);
  }
}

/**
 * The raw body as text, refusing (BodyTooLarge) one whose Content-Length or actual size exceeds
 * `limit` without buffering more than `limit` bytes: the length header can be absent or a lie.
 */
export async function readBodyCapped(request: Request, limit = MAX_WEBHOOK_BODY_BYTES): Promise<string> {
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > limit) throw new BodyTooLarge(limit);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The delivery's age check. A missing header passes (older libraries and tools do not send it);
 * an unreadable one or one older than the retry window is INVALID_INPUT. The header is not covered
 * by the HMAC, so this stops stale deliveries, not a replay: the claim store does that.
 */
export function checkDeliveryAge(triggeredAt: string | null | undefined, now: Date, maxAgeMs = MAX_DELIVERY_AGE_MS): void {
  if (!triggeredAt) return;
  const at = Date.parse(triggeredAt);
  if (Number.isNaN(at)) throw new AppError("INVALID_INPUT", `X-Shopify-Triggered-At is not a date: ${triggeredAt.slice(0, 64)}`);
  if (now.getTime() - at > maxAgeMs) {
    throw new AppError(
      "INVALID_INPUT",
      `Delivery triggered at ${new Date(at).toISOString()} is older than Shopify's retry window (${maxAgeMs / 3_600_000} h)`,
    );
  }
}

/**
 * The HMAC covers the body, not the X-Shopify-Shop-Domain header: a body Shopify signed for shop A
 * sent with shop C's header must not act on shop C. Compliance and uninstall bodies name their shop
 * (`shop_domain`; `myshopify_domain` on app/uninstalled), so the two must agree.
 */
export function assertBodyShop(headerShop: string, bodyShop: string, topic: string): void {
  if (headerShop.trim().toLowerCase() !== bodyShop.trim().toLowerCase()) {
    throw new AppError("UNAUTHENTICATED", `${topic}: the body names ${bodyShop.slice(0, 100)} but the delivery is for ${headerShop}`);
  }
}

import { createHmac, randomUUID } from "node:crypto";
import { TEST_APP } from "../support/app-env";

/** Shopify's webhook signature: base64 HMAC-SHA256 of the raw body with the app secret. */
export function shopifyHmac(body: string, secret = TEST_APP.apiSecret) {
  return createHmac("sha256", secret).update(body, "utf8").digest("base64");
}

export interface DeliveryOptions {
  shop?: string;
  webhookId?: string;
  /** null: no X-Shopify-Event-Id header. */
  eventId?: string | null;
  /** null: no X-Shopify-Triggered-At header. */
  triggeredAt?: Date | null;
  hmac?: string;
  /** A raw body instead of JSON.stringify(payload). */
  rawBody?: string;
}

/**
 * A webhook delivery as Shopify sends it (headers per shopify.dev "Webhooks delivery structure":
 * X-Shopify-Topic, -Hmac-Sha256, -Shop-Domain, -API-Version, -Webhook-Id, -Event-Id, -Triggered-At).
 */
export function delivery(topic: string, payload: unknown, o: DeliveryOptions = {}): Request {
  const body = o.rawBody ?? JSON.stringify(payload);
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "X-Shopify-Topic": topic,
    "X-Shopify-Hmac-Sha256": o.hmac ?? shopifyHmac(body),
    "X-Shopify-Shop-Domain": o.shop ?? TEST_APP.shop,
    "X-Shopify-API-Version": "2026-10",
    "X-Shopify-Webhook-Id": o.webhookId ?? randomUUID(),
  };
  if (o.eventId !== null) headers["X-Shopify-Event-Id"] = o.eventId ?? randomUUID();
  if (o.triggeredAt !== null) headers["X-Shopify-Triggered-At"] = (o.triggeredAt ?? new Date()).toISOString();
  return new Request(`${TEST_APP.appUrl}/webhooks/${topic}`, { method: "POST", body, headers });
}

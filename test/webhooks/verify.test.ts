import { describe, expect, it } from "vitest";
import { setAppEnv, TEST_APP } from "../support/app-env";
import { delivery, shopifyHmac } from "./support";
import { topicForStorage, verifyWebhook } from "../../app/webhooks/verify";

setAppEnv();

// The dispatcher's own signature check (ADR 108) against the Shopify library's (authenticate.webhook):
// the same request must get the same answer from both paths. No handler runs for these: a bad
// request is refused before the claim; a valid one is sent for a topic without a handler (200).
const { receiveWebhook } = await import("../../app/app.server");
const { database } = await import("../../app/db.server");
const ALL_TOPICS_USE_THE_LIBRARY = { has: () => true } as unknown as ReadonlySet<string>;

function variant(name: string): Request {
  const body = JSON.stringify({ id: 1 });
  const base = delivery("shop/update", null, { rawBody: body });
  const h = new Headers(base.headers);
  let raw: string = body;
  if (name === "wrong secret") h.set("X-Shopify-Hmac-Sha256", shopifyHmac(body, "another-secret"));
  if (name === "truncated signature") h.set("X-Shopify-Hmac-Sha256", shopifyHmac(body).slice(0, 20));
  if (name === "no signature") h.delete("X-Shopify-Hmac-Sha256");
  if (name === "empty body") {
    raw = "";
    h.set("X-Shopify-Hmac-Sha256", shopifyHmac(""));
  }
  if (name === "signed body changed") raw = JSON.stringify({ id: 2 });
  for (const [n, header] of [
    ["no topic", "X-Shopify-Topic"],
    ["no shop", "X-Shopify-Shop-Domain"],
    ["no api version", "X-Shopify-API-Version"],
    ["no webhook id", "X-Shopify-Webhook-Id"],
  ] as const)
    if (name === n) h.delete(header);
  if (name === "not JSON") {
    raw = '{"id": ';
    h.set("X-Shopify-Hmac-Sha256", shopifyHmac(raw));
  }
  return new Request(base.url, { method: "POST", headers: h, body: raw === "" ? null : raw });
}

const CASES = [
  "valid",
  "wrong secret",
  "truncated signature",
  "no signature",
  "empty body",
  "signed body changed",
  "no topic",
  "no shop",
  "no api version",
  "no webhook id",
  "not JSON",
];

describe("webhook signature check without the library (ADR 108)", () => {
  it.each(CASES)("%s: the same status as authenticate.webhook", async (name) => {
    await database.ready();
    const ours = await receiveWebhook(variant(name));
    const library = await receiveWebhook(variant(name), { sessionTopics: ALL_TOPICS_USE_THE_LIBRARY });
    expect(ours.status).toBe(library.status);
    expect(ours.status).toBe(
      { valid: 200, "not JSON": 400, "wrong secret": 401, "truncated signature": 401, "signed body changed": 401 }[name] ?? 400,
    );
  });

  it("names topics as the library stores them and reads the optional headers", () => {
    expect(topicForStorage("orders/create")).toBe("ORDERS_CREATE");
    expect(topicForStorage("app/scopes_update")).toBe("APP_SCOPES_UPDATE");
    const r = delivery("orders/updated", { id: 5 }, { eventId: "ev-1", triggeredAt: new Date("2026-12-01T00:00:00Z") });
    const v = verifyWebhook(JSON.stringify({ id: 5 }), r.headers, TEST_APP.apiSecret);
    expect(v).toEqual({
      ok: true,
      webhook: {
        shop: TEST_APP.shop,
        topic: "ORDERS_UPDATED",
        webhookId: r.headers.get("X-Shopify-Webhook-Id"),
        apiVersion: "2026-10",
        eventId: "ev-1",
        triggeredAt: "2026-12-01T00:00:00.000Z",
      },
    });
  });
});

import { createHmac } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { setAppEnv, TEST_APP } from "../support/app-env";
import { delivery } from "./support";

// The relay has its own secret (at least 32 characters, app/env.server.ts).
const RELAY_SECRET = "relay-secret-0123456789abcdef-0123456789";
setAppEnv({ MAIL_RELAY_SECRET: RELAY_SECRET });

const { action: feedbackAction } = await import("../../app/routes/email.feedback");
const { action: shopRedactAction } = await import("../../app/routes/webhooks.shop.redact");
const { signBody } = await import("../../app/messaging/token");
const { database } = await import("../../app/db.server");

const SHOP = TEST_APP.shop;
const hexMac = (secret: string, s: string) => createHmac("sha256", secret).update(s, "utf8").digest("hex");
const feedback = (body: string, signature: string) =>
  feedbackAction({
    request: new Request(`${TEST_APP.appUrl}/email/feedback`, {
      method: "POST",
      body,
      headers: { "Content-Type": "application/json", "X-Winback-Signature": signature },
    }),
    params: {},
    context: {},
  });

beforeAll(async () => {
  await database.ready();
  await database.sql.query(
    `INSERT INTO "MessageLog" (id, shop, "customerId", kind, "dedupeKey", "campaignId", status, "messageId", "toAddress", "updatedAt", "sentAt")
     VALUES ('log-77', $1, 77, 'winback_standard', 'cmp:77:day0', 'cmp', 'sent', '<m77@winback.test>', 'c77@example.com', now(), now())`,
    [SHOP],
  );
  await database.sql.query(
    `INSERT INTO "Customer" (shop, id, email, "orderCount", "totalSpent") VALUES ($1, 77, 'c77@example.com', 1, 10)`,
    [SHOP],
  );
});

describe("mail relay feedback has its own secret", () => {
  const body = JSON.stringify({ type: "bounce", messageId: "<m77@winback.test>", detail: "550 mailbox unknown" });

  it("refuses a report signed with the Shopify app secret, in the old format or the new one", async () => {
    expect((await feedback(body, hexMac(TEST_APP.apiSecret, body))).status).toBe(401);
    expect((await feedback(body, signBody(TEST_APP.apiSecret, body))).status).toBe(401);
    expect(await database.prisma.emailFeedback.count()).toBe(0);
  });

  it("refuses the relay secret without the domain prefix", async () => {
    expect((await feedback(body, hexMac(RELAY_SECRET, body))).status).toBe(401);
  });

  it("accepts hex(HMAC-SHA256(MAIL_RELAY_SECRET, 'winback-mail-feedback:' + body))", async () => {
    const r = await feedback(body, hexMac(RELAY_SECRET, `winback-mail-feedback:${body}`));
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ok: true, recorded: true, type: "bounce" });
  });

  it("a relay signature re-encoded in base64 is no Shopify webhook signature: /webhooks/shop/redact answers 401 and deletes nothing", async () => {
    const redact = JSON.stringify({ shop_id: 1, shop_domain: SHOP });
    const relaySig = signBody(RELAY_SECRET, redact);
    const forged = delivery("shop/redact", null, { rawBody: redact, hmac: Buffer.from(relaySig, "hex").toString("base64") });
    let status: number;
    try {
      status = (await shopRedactAction({ request: forged, params: {}, context: {} })).status;
    } catch (thrown) {
      status = (thrown as Response).status;
    }
    expect(status).toBe(401);
    expect(await database.prisma.customer.count({ where: { shop: SHOP } })).toBe(1);
  });
});

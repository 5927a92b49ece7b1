import { createHmac, randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { setAppEnv, TEST_APP } from "../support/app-env";

setAppEnv();

const { action: dataRequestAction } = await import("../../app/routes/webhooks.customers.data_request");
const { action: ordersCreateAction } = await import("../../app/routes/webhooks.orders.create");
const { loader: appLoader } = await import("../../app/routes/app");
const { database } = await import("../../app/db.server");

function sign(body: string, secret = TEST_APP.apiSecret) {
  return createHmac("sha256", secret).update(body, "utf8").digest("base64");
}

function webhookRequest(topic: string, payload: unknown, opts: { secret?: string; webhookId?: string } = {}) {
  const body = JSON.stringify(payload);
  return new Request(`${TEST_APP.appUrl}/webhooks/${topic}`, {
    method: "POST",
    body,
    headers: {
      "Content-Type": "application/json",
      "X-Shopify-Topic": topic,
      "X-Shopify-Hmac-Sha256": sign(body, opts.secret),
      "X-Shopify-Shop-Domain": TEST_APP.shop,
      "X-Shopify-API-Version": "2026-10",
      "X-Shopify-Webhook-Id": opts.webhookId ?? randomUUID(),
      "X-Shopify-Event-Id": randomUUID(),
      "X-Shopify-Triggered-At": new Date().toISOString(),
    },
  });
}

function b64url(x: string | Buffer) {
  return Buffer.from(x).toString("base64url");
}

function sessionToken(secret: string, overrides: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const payload = b64url(
    JSON.stringify({
      iss: `https://${TEST_APP.shop}/admin`,
      dest: `https://${TEST_APP.shop}`,
      aud: TEST_APP.apiKey,
      sub: "42",
      exp: now + 60,
      nbf: now - 5,
      iat: now - 5,
      jti: randomUUID(),
      sid: randomUUID(),
      ...overrides,
    }),
  );
  const sig = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${sig}`;
}

async function statusOf(p: Promise<unknown>): Promise<number> {
  try {
    const r = await p;
    return (r as Response).status;
  } catch (thrown) {
    if (thrown instanceof Response) return thrown.status;
    throw thrown;
  }
}

beforeAll(async () => {
  await database.ready();
});

describe("webhook routes", () => {
  const payload = {
    shop_id: 1,
    shop_domain: TEST_APP.shop,
    customer: { id: 7, email: "x@example.com" },
    orders_requested: [],
    data_request: { id: 1 },
  };

  it("reject a forged HMAC with 401 and do nothing", async () => {
    const status = await statusOf(
      dataRequestAction({
        request: webhookRequest("customers/data_request", payload, { secret: "not-the-secret" }),
        params: {},
        context: {},
      }),
    );
    expect(status).toBe(401);
    expect(await database.prisma.dataRequest.count()).toBe(0);
  });

  it("accept a correctly signed delivery, and run it once however often Shopify retries it", async () => {
    const webhookId = randomUUID();
    for (let i = 0; i < 3; i++) {
      const status = await statusOf(
        dataRequestAction({ request: webhookRequest("customers/data_request", payload, { webhookId }), params: {}, context: {} }),
      );
      expect(status).toBe(200);
    }
    expect(await database.prisma.dataRequest.count()).toBe(1);
    expect(await database.prisma.webhookEvent.count({ where: { webhookId } })).toBe(1);
  });

  it("reject a body whose signature was made for other content", async () => {
    const req = webhookRequest("orders/create", { id: 1 });
    const tampered = new Request(req.url, { method: "POST", headers: req.headers, body: JSON.stringify({ id: 2 }) });
    expect(await statusOf(ordersCreateAction({ request: tampered, params: {}, context: {} }))).toBe(401);
  });
});

describe("embedded app auth", () => {
  it("answers a fetch with a session token signed by someone else with 401", async () => {
    const req = new Request(`${TEST_APP.appUrl}/app`, { headers: { Authorization: `Bearer ${sessionToken("forged-secret")}` } });
    expect(await statusOf(appLoader({ request: req, params: {}, context: {} }))).toBe(401);
  });

  it("answers an expired session token with 401", async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    const req = new Request(`${TEST_APP.appUrl}/app`, {
      headers: { Authorization: `Bearer ${sessionToken(TEST_APP.apiSecret, { exp: past, nbf: past - 60, iat: past - 60 })}` },
    });
    expect(await statusOf(appLoader({ request: req, params: {}, context: {} }))).toBe(401);
  });

  it("does not render the app for a document request with a forged id_token", async () => {
    const url = `${TEST_APP.appUrl}/app?embedded=1&shop=${TEST_APP.shop}&host=${b64url("admin.shopify.com/store/test-shop")}&id_token=${sessionToken("forged-secret")}`;
    const status = await statusOf(appLoader({ request: new Request(url), params: {}, context: {} }));
    expect([302, 401]).toContain(status);
  });

  it("asks a request without any token to authenticate, never rendering the app", async () => {
    const status = await statusOf(appLoader({ request: new Request(`${TEST_APP.appUrl}/app`), params: {}, context: {} }));
    expect(status).not.toBe(200);
  });
});

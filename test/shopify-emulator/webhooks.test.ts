import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "./index";
import { parseAppToml, loadAppToml } from "./webhooks";
import { API_SECRET, SHOP, start } from "./helpers";
import { REPO_ROOT } from "./schema";
import path from "node:path";

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe("webhooks", () => {
  let emu: Emulator;
  let app: http.Server;
  const received: Received[] = [];
  let failNext = 0;
  beforeAll(async () => {
    app = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        received.push({ path: req.url!, headers: req.headers, body });
        if (failNext > 0) {
          failNext--;
          res.writeHead(500);
          res.end();
          return;
        }
        res.writeHead(200);
        res.end();
      });
    });
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
    const appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    ({ emu } = await start({ appUrl, webhookRetry: { attempts: 3, baseDelayMs: 10, timeoutMs: 1000 } }));
    await emu.addShop(SHOP, { seed: 9, customers: 50 });
  });
  afterAll(async () => {
    await emu.stop();
    app.close();
  });

  it("reads subscriptions from shopify.app.toml", () => {
    const toml = loadAppToml(path.join(REPO_ROOT, "shopify.app.toml"));
    expect(toml.scopes).toContain("read_all_orders");
    expect(toml.subscriptions.find((s) => s.topics.includes("orders/create"))?.uri).toBe("/webhooks/orders/create");
    expect(toml.subscriptions.find((s) => s.topics.includes("shop/redact"))?.compliance).toBe(true);
    expect(parseAppToml('[[webhooks.subscriptions]]\ntopics = [ "a/b", "c/d" ] # x\nuri = "/x"').subscriptions[0]).toEqual({
      topics: ["a/b", "c/d"],
      uri: "/x",
      compliance: false,
    });
  });

  it("delivers orders/create with Shopify's headers and a valid HMAC of the raw body", async () => {
    received.length = 0;
    const customerId = emu.shop(SHOP).customerView(3).id;
    const payload = emu.createOrder(SHOP, { customerId, lineItems: [{ productIndex: 2, quantity: 2 }] });
    await emu.webhooks.idle();
    expect(received).toHaveLength(1);
    const r = received[0]!;
    expect(r.path).toBe("/webhooks/orders/create");
    expect(r.headers["x-shopify-topic"]).toBe("orders/create");
    expect(r.headers["x-shopify-shop-domain"]).toBe(SHOP);
    expect(r.headers["x-shopify-api-version"]).toBe("2026-10");
    expect(r.headers["x-shopify-webhook-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.headers["x-shopify-event-id"]).toBeTruthy();
    expect(r.headers["x-shopify-triggered-at"]).toBeTruthy();
    const hmac = crypto.createHmac("sha256", API_SECRET).update(r.body).digest("base64");
    expect(r.headers["x-shopify-hmac-sha256"]).toBe(hmac);
    const body = JSON.parse(r.body);
    expect(body).toEqual(payload);
    expect(body).toMatchObject({
      admin_graphql_api_id: expect.stringMatching(/^gid:\/\/shopify\/Order\/\d+$/),
      customer: { admin_graphql_api_id: customerId },
      financial_status: "paid",
      test: false,
    });
    expect(typeof body.id).toBe("number");
    expect(body.line_items[0]).toMatchObject({ quantity: 2 });
  });

  it("retries non-2xx with backoff and logs attempts", async () => {
    received.length = 0;
    failNext = 2;
    const c = emu.shop(SHOP).customerView(1);
    emu.updateCustomer(SHOP, c.id, { tags: ["b", "a"], emailMarketingState: "UNSUBSCRIBED" });
    await emu.webhooks.idle();
    expect(received).toHaveLength(3);
    const d = emu.webhooks.log.at(-1)!;
    expect(d.attempts.map((a) => a.status)).toEqual([500, 500, 200]);
    expect(d.delivered).toBe(true);
    expect(new Set(received.map((r) => r.headers["x-shopify-webhook-id"])).size).toBe(1);
    expect(JSON.parse(received[2]!.body)).toMatchObject({ tags: "a, b", email_marketing_consent: { state: "unsubscribed" } });
  });

  it("sends duplicates with the same webhook id, suppresses topics, fires uninstall and compliance topics", async () => {
    received.length = 0;
    emu.webhooks.deliver(SHOP, "orders/updated", { id: 1 }, { duplicate: true });
    emu.faults.suppressWebhooks("orders/create");
    emu.createOrder(SHOP, {});
    emu.faults.restoreWebhooks("orders/create");
    emu.compliance(SHOP, "customers/redact");
    emu.uninstall(SHOP);
    await emu.webhooks.idle();
    const topics = received.map((r) => r.headers["x-shopify-topic"]).sort();
    expect(topics).toEqual(["app/uninstalled", "customers/redact", "orders/updated", "orders/updated"]);
    const dups = received.filter((r) => r.headers["x-shopify-topic"] === "orders/updated");
    expect(dups[0]!.headers["x-shopify-webhook-id"]).toBe(dups[1]!.headers["x-shopify-webhook-id"]);
  });
});

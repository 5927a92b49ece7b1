import { createHmac, randomUUID } from "node:crypto";
import http from "node:http";

/**
 * An orders/create webhook storm as Shopify would send it: each delivery a new order of an existing
 * customer, a REST payload signed with the app secret (X-Shopify-Hmac-Sha256), its own webhook and
 * event ids. Open loop: deliveries are due at a fixed rate whatever the app answers, and at most
 * `concurrency` are in flight (Shopify's own delivery is bounded too); a due delivery that finds
 * every slot busy waits, and that wait is reported as well (`lag`), so a slow app cannot hide its
 * slowness by slowing the sender down.
 */
export interface StormOptions {
  appUrl: string;
  shop: string;
  secret: string;
  ratePerSec: number;
  seconds: number;
  concurrency: number;
  /** Legacy ids of existing customers; delivery i orders for customers[i % length]. */
  customers: string[];
  /** First order id; delivery i creates order orderIdBase + i. */
  orderIdBase: number;
  log: (line: string) => void;
}

export interface StormResult {
  due: number;
  answered: number;
  /** status → count of every non-200 answer (and -1 for network errors). */
  failures: Map<number, number>;
  failureSamples: string[];
  /** Request sent → answer read, ms, ascending. */
  latencies: number[];
  /** Due → answer read (includes waiting for a free slot), ms, ascending. */
  endToEnd: number[];
  /** customer id → orders sent for it (answered 200). */
  perCustomer: Map<string, number>;
  orderIds: string[];
  seconds: number;
}

export function orderPayload(orderId: number, customerId: string, at: Date) {
  const iso = at.toISOString();
  const price = (10 + (orderId % 90)).toFixed(2);
  return {
    id: orderId,
    admin_graphql_api_id: `gid://shopify/Order/${orderId}`,
    name: `#S${orderId}`,
    created_at: iso,
    processed_at: iso,
    updated_at: iso,
    cancelled_at: null,
    test: false,
    financial_status: "paid",
    currency: "USD",
    total_price: price,
    current_total_price: price,
    discount_codes: [],
    customer: { id: Number(customerId), admin_graphql_api_id: `gid://shopify/Customer/${customerId}`, email: null },
    line_items: [
      {
        id: orderId * 10 + 1,
        admin_graphql_api_id: `gid://shopify/LineItem/${orderId * 10 + 1}`,
        product_id: 1,
        variant_id: 2,
        title: "Storm",
        vendor: "Bench",
        quantity: 1,
        price,
      },
    ],
  };
}

export const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : NaN;

export async function runStorm(o: StormOptions): Promise<StormResult> {
  const url = new URL("/webhooks/orders/create", o.appUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
  const total = Math.round(o.ratePerSec * o.seconds);
  const r: StormResult = {
    due: total,
    answered: 0,
    failures: new Map(),
    failureSamples: [],
    latencies: [],
    endToEnd: [],
    perCustomer: new Map(),
    orderIds: [],
    seconds: 0,
  };
  const post = (body: string, headers: Record<string, string>) =>
    new Promise<{ status: number; text: string }>((resolve) => {
      const req = http.request(
        url,
        { method: "POST", agent, headers: { ...headers, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
          res.on("error", (e) => resolve({ status: -1, text: String(e) }));
        },
      );
      req.on("error", (e) => resolve({ status: -1, text: String(e) }));
      req.end(body);
    });
  const start = performance.now();
  let next = 0;
  const send = async (i: number) => {
    const dueAt = start + (i * 1000) / o.ratePerSec;
    const customerId = o.customers[i % o.customers.length]!;
    const orderId = o.orderIdBase + i;
    const body = JSON.stringify(orderPayload(orderId, customerId, new Date()));
    const headers = {
      "X-Shopify-Topic": "orders/create",
      "X-Shopify-Hmac-Sha256": createHmac("sha256", o.secret).update(body, "utf8").digest("base64"),
      "X-Shopify-Shop-Domain": o.shop,
      "X-Shopify-API-Version": "2026-10",
      "X-Shopify-Webhook-Id": randomUUID(),
      "X-Shopify-Event-Id": randomUUID(),
      "X-Shopify-Triggered-At": new Date().toISOString(),
    };
    const t = performance.now();
    const a = await post(body, headers);
    const end = performance.now();
    r.latencies.push(end - t);
    r.endToEnd.push(end - dueAt);
    r.answered++;
    if (a.status === 200) {
      r.perCustomer.set(customerId, (r.perCustomer.get(customerId) ?? 0) + 1);
      r.orderIds.push(String(orderId));
    } else {
      r.failures.set(a.status, (r.failures.get(a.status) ?? 0) + 1);
      if (r.failureSamples.length < 5) r.failureSamples.push(`${a.status} ${a.text.slice(0, 200)}`);
    }
  };
  // Each worker takes the next due delivery, waiting for its due time if it is early.
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const wait = start + (i * 1000) / o.ratePerSec - performance.now();
      if (wait > 1) await new Promise((res) => setTimeout(res, wait));
      await send(i);
    }
  };
  const progress = setInterval(() => {
    const s = (performance.now() - start) / 1000;
    o.log(`storm: ${s.toFixed(0)} s, ${r.answered}/${total} answered, ${[...r.failures.values()].reduce((a, b) => a + b, 0)} not 200`);
  }, 5000);
  try {
    await Promise.all(Array.from({ length: o.concurrency }, worker));
  } finally {
    clearInterval(progress);
    agent.destroy();
  }
  r.seconds = (performance.now() - start) / 1000;
  r.latencies.sort((a, b) => a - b);
  r.endToEnd.sort((a, b) => a - b);
  return r;
}

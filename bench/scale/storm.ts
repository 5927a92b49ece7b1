import { createHmac, randomUUID } from "node:crypto";
import http from "node:http";
import { mulberry32 } from "../../app/domain/stats/prng";

/**
 * An order webhook storm as Shopify would send it (docs/decisions/087-scale-benchmark.md,
 * 108-webhook-storm.md): REST payloads signed with the app secret (X-Shopify-Hmac-Sha256), each
 * delivery its own webhook and event id, a mix of what a busy shop produces:
 *  - orders/create of a new order of an existing customer;
 *  - orders/updated of an earlier order (a refund lowers its current total, some are cancelled);
 *  - out-of-order updates: version v+2 is sent, version v+1 follows later and must lose (newest wins);
 *  - Shopify's retries (the same X-Shopify-Webhook-Id again) and duplicate deliveries of one event
 *    (a new webhook id, the same X-Shopify-Event-Id), which must have no second effect.
 * Open loop: deliveries are due at a fixed rate whatever the app answers, at most `concurrency` in
 * flight (Shopify's own delivery is bounded too); a due delivery that finds every slot busy waits,
 * and that wait is reported as well (`endToEnd`), so a slow app cannot hide by slowing the sender.
 */
export interface StormOptions {
  appUrl: string;
  shop: string;
  secret: string;
  ratePerSec: number;
  seconds: number;
  concurrency: number;
  /** Legacy ids of existing customers; new order k is for customers[k % length]. */
  customers: string[];
  /** First order id; new order k is orderIdBase + k. */
  orderIdBase: number;
  /**
   * A delivery not yet sent this long after its due time is not sent at all (counted in `unsent`):
   * an app far slower than the rate would otherwise keep the bench running for as long as it takes
   * to work through the backlog.
   */
  maxLagSeconds?: number;
  /** Seed of the mix (the same seed sends the same plan). */
  seed?: number;
  log: (line: string) => void;
}

export type DeliveryKind = "create" | "update" | "late" | "retry" | "duplicate";

interface Delivery {
  kind: DeliveryKind;
  topic: "orders/create" | "orders/updated";
  orderId: number;
  version: number;
  body: string;
  webhookId: string;
  eventId: string;
  triggeredAt: string;
}

export interface StormResult {
  due: number;
  answered: number;
  /** Deliveries given up on: still unsent maxLagSeconds after their due time. */
  unsent: number;
  kinds: Record<DeliveryKind, number>;
  /** status → count of every non-2xx answer (and -1 for network errors). */
  failures: Map<number, number>;
  failureSamples: string[];
  /** Per delivery, in plan order: Date.now() when sent, request → answer ms, due → answer ms, status. */
  sentAt: Float64Array;
  latency: Float64Array;
  endToEnd: Float64Array;
  status: Int16Array;
  /** Order id → the newest version the app acknowledged (200), and that version's figures. */
  expected: Map<string, ExpectedOrder>;
  /** Order ids that had a newer version whose delivery was not acknowledged (either version may be stored). */
  unsettled: Set<string>;
  seconds: number;
}

export interface ExpectedOrder {
  customerId: string;
  version: number;
  updatedAt: string;
  currentTotal: string;
  cancelled: boolean;
}

/** The order's figures at a version: 0 is the create; each update refunds 1.00 and every 7th cancels. */
function versionOf(orderId: number, version: number, createdMs: number) {
  const price = 10 + (orderId % 90);
  return {
    price: price.toFixed(2),
    current: Math.max(1, price - version).toFixed(2),
    updatedAt: new Date(createdMs + version * 1000).toISOString(),
    cancelled: version > 0 && (orderId + version) % 7 === 0,
  };
}

export function orderPayload(orderId: number, customerId: string, createdMs: number, version = 0) {
  const created = new Date(createdMs).toISOString();
  const v = versionOf(orderId, version, createdMs);
  return {
    id: orderId,
    admin_graphql_api_id: `gid://shopify/Order/${orderId}`,
    name: `#S${orderId}`,
    created_at: created,
    processed_at: created,
    updated_at: v.updatedAt,
    cancelled_at: v.cancelled ? v.updatedAt : null,
    test: false,
    financial_status: version > 0 ? "partially_refunded" : "paid",
    currency: "USD",
    total_price: v.price,
    current_total_price: v.current,
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
        price: v.price,
      },
    ],
  };
}

export const pct = (sorted: ArrayLike<number>, p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : NaN;

/**
 * The storm's deliveries in sending order. Shares: 55% creates, 25% updates, 8% out-of-order pairs
 * (the newer version now, the older ~0.3 s later), 6% retries and 6% duplicate deliveries of a
 * delivery sent at least ~1 s before (so the duplicate meets a finished claim, not one in flight).
 */
export function planStorm(o: Pick<StormOptions, "ratePerSec" | "seconds" | "customers" | "orderIdBase" | "seed" | "secret" | "shop">) {
  const total = Math.round(o.ratePerSec * o.seconds);
  const rand = mulberry32(o.seed ?? 42); // seeded: the same seed plans the same storm
  const createdMs = Date.now() - 60_000;
  const orders: Array<{ id: number; customerId: string; version: number }> = [];
  const late = new Map<number, Delivery>();
  const plan: Delivery[] = [];
  const lagBehind = Math.max(1, Math.round(o.ratePerSec * 0.3));
  const dupAfter = Math.max(1, Math.round(o.ratePerSec));
  const make = (kind: DeliveryKind, ord: { id: number; customerId: string }, version: number): Delivery => ({
    kind,
    topic: version === 0 ? "orders/create" : "orders/updated",
    orderId: ord.id,
    version,
    body: JSON.stringify(orderPayload(ord.id, ord.customerId, createdMs, version)),
    webhookId: randomUUID(),
    eventId: randomUUID(),
    triggeredAt: new Date().toISOString(),
  });
  for (let i = 0; i < total; i++) {
    const deferred = late.get(i);
    if (deferred) {
      late.delete(i);
      plan.push(deferred);
      continue;
    }
    const r = rand();
    const pick = () => orders[orders.length - 1 - Math.floor(rand() * Math.min(orders.length, 5000))]!;
    if (orders.length < 50 || r < 0.55) {
      const ord = { id: o.orderIdBase + orders.length, customerId: o.customers[orders.length % o.customers.length]!, version: 0 };
      orders.push(ord);
      plan.push(make("create", ord, 0));
    } else if (r < 0.8) {
      const ord = pick();
      plan.push(make("update", ord, ++ord.version));
    } else if (r < 0.88 && i + lagBehind < total && !late.has(i + lagBehind)) {
      const ord = pick();
      ord.version += 2;
      plan.push(make("update", ord, ord.version));
      late.set(i + lagBehind, make("late", ord, ord.version - 1));
    } else if (i >= dupAfter) {
      const src = plan[Math.floor(rand() * (i - dupAfter + 1))]!;
      plan.push(r < 0.94 ? { ...src, kind: "retry" } : { ...src, kind: "duplicate", webhookId: randomUUID() });
    } else {
      const ord = pick();
      plan.push(make("update", ord, ++ord.version));
    }
  }
  const customerOf = new Map(orders.map((x) => [String(x.id), x.customerId]));
  return { plan, createdMs, customerOf };
}

export async function runStorm(o: StormOptions): Promise<StormResult> {
  const url = (topic: string) => new URL(`/webhooks/${topic}`, o.appUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
  const { plan, createdMs, customerOf } = planStorm(o);
  const total = plan.length;
  const kinds = { create: 0, update: 0, late: 0, retry: 0, duplicate: 0 } as Record<DeliveryKind, number>;
  for (const d of plan) kinds[d.kind]++;
  const r: StormResult = {
    due: total,
    answered: 0,
    unsent: 0,
    kinds,
    failures: new Map(),
    failureSamples: [],
    sentAt: new Float64Array(total),
    latency: new Float64Array(total),
    endToEnd: new Float64Array(total),
    status: new Int16Array(total),
    expected: new Map(),
    unsettled: new Set(),
    seconds: 0,
  };
  const post = (d: Delivery, headers: Record<string, string>) =>
    new Promise<{ status: number; text: string }>((resolve) => {
      const req = http.request(
        url(d.topic),
        { method: "POST", agent, headers: { ...headers, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(d.body) } },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
          res.on("error", (e) => resolve({ status: -1, text: String(e) }));
        },
      );
      req.on("error", (e) => resolve({ status: -1, text: String(e) }));
      req.end(d.body);
    });
  const start = performance.now();
  let next = 0;
  const send = async (i: number) => {
    const d = plan[i]!;
    const dueAt = start + (i * 1000) / o.ratePerSec;
    const headers = {
      "X-Shopify-Topic": d.topic,
      "X-Shopify-Hmac-Sha256": createHmac("sha256", o.secret).update(d.body, "utf8").digest("base64"),
      "X-Shopify-Shop-Domain": o.shop,
      "X-Shopify-API-Version": "2026-10",
      "X-Shopify-Webhook-Id": d.webhookId,
      "X-Shopify-Event-Id": d.eventId,
      "X-Shopify-Triggered-At": d.triggeredAt,
    };
    r.sentAt[i] = Date.now();
    const t = performance.now();
    const a = await post(d, headers);
    const end = performance.now();
    r.latency[i] = end - t;
    r.endToEnd[i] = end - dueAt;
    r.status[i] = a.status;
    r.answered++;
    if (a.status < 200 || a.status >= 300) {
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
      if (-wait > (o.maxLagSeconds ?? 30) * 1000) {
        r.unsent = total - i;
        next = total;
        return;
      }
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
  // What the database must hold: per order the newest acknowledged version.
  const newestSent = new Map<string, number>();
  plan.forEach((d, i) => {
    const id = String(d.orderId);
    newestSent.set(id, Math.max(newestSent.get(id) ?? -1, d.version));
    if (r.status[i]! < 200 || r.status[i]! >= 300) return;
    const have = r.expected.get(id);
    if (have && have.version >= d.version) return;
    const v = versionOf(d.orderId, d.version, createdMs);
    r.expected.set(id, {
      customerId: customerOf.get(id)!,
      version: d.version,
      updatedAt: v.updatedAt,
      currentTotal: v.current,
      cancelled: v.cancelled,
    });
  });
  for (const [id, v] of newestSent) if ((r.expected.get(id)?.version ?? -1) < v) r.unsettled.add(id);
  return r;
}

/** p50/p95/p99/max of the deliveries selected by `keep` (all when omitted). */
export function latencyFigures(values: Float64Array, keep?: (i: number) => boolean, sent?: Int16Array) {
  const s = Float64Array.from(values.filter((_, i) => (!sent || sent[i] !== 0) && (!keep || keep(i)))).sort();
  return { n: s.length, p50: pct(s, 0.5), p95: pct(s, 0.95), p99: pct(s, 0.99), max: s.length ? s[s.length - 1]! : NaN };
}

export interface StormCheck {
  acknowledged: number;
  lost: number;
  wrongVersion: number;
  wrongTotal: number;
  unsettled: number;
  samples: string[];
  customersChecked: number;
  wrongAggregates: number;
  aggregateSamples: string[];
}

type Query = <T = any>(text: string, params?: unknown[]) => Promise<T[]>;

/**
 * Right after a storm: every acknowledged order is stored at its newest acknowledged version (its
 * updated_at and current total), and every customer's aggregates of the whole shop equal a
 * from-scratch computation over its qualifying orders (not test, not cancelled;
 * app/sync/store/qualifying.ts), the same figures app/sync/store/staging.ts refreshAggregates keeps.
 */
export async function checkStorm(q: Query, shop: string, r: StormResult): Promise<StormCheck> {
  const ids = [...r.expected.keys()];
  const rows = await q<{ id: string; customerId: string | null; updatedMs: string; total: string; cancelled: boolean }>(
    `SELECT id::text AS id, "customerId"::text AS "customerId", (extract(epoch FROM "updatedAt") * 1000)::bigint::text AS "updatedMs",
       "currentTotal"::text AS total, "cancelledAt" IS NOT NULL AS cancelled
     FROM "Order" WHERE shop = $1 AND id = ANY($2::bigint[])`,
    [shop, ids],
  );
  const stored = new Map(rows.map((x) => [x.id, x]));
  const c: StormCheck = {
    acknowledged: ids.length,
    lost: 0,
    wrongVersion: 0,
    wrongTotal: 0,
    unsettled: r.unsettled.size,
    samples: [],
    customersChecked: 0,
    wrongAggregates: 0,
    aggregateSamples: [],
  };
  for (const [id, e] of r.expected) {
    const s = stored.get(id);
    if (!s) {
      c.lost++;
      if (c.samples.length < 5) c.samples.push(`order ${id} missing`);
      continue;
    }
    if (r.unsettled.has(id)) continue;
    if (Number(s.updatedMs) !== Date.parse(e.updatedAt) || s.cancelled !== e.cancelled || s.customerId !== e.customerId) {
      c.wrongVersion++;
      if (c.samples.length < 5)
        c.samples.push(`order ${id}: stored ${new Date(Number(s.updatedMs)).toISOString()}, expected v${e.version} ${e.updatedAt}`);
    } else if (Number(s.total) !== Number(e.currentTotal)) {
      c.wrongTotal++;
      if (c.samples.length < 5) c.samples.push(`order ${id}: total ${s.total}, expected ${e.currentTotal}`);
    }
  }
  const agg = await checkAggregates(q, shop);
  c.customersChecked = agg.checked;
  c.wrongAggregates = agg.wrong;
  c.aggregateSamples = agg.samples;
  return c;
}

/** Customers of the shop whose orderCount / totalSpent / first / last order differ from their qualifying orders'. */
export async function checkAggregates(q: Query, shop: string): Promise<{ checked: number; wrong: number; samples: string[] }> {
  const agg = await q<{ checked: number; wrong: number; samples: string[] | null }>(
    `WITH fresh AS (
       SELECT "customerId" AS id, count(*)::int AS n, sum("currentTotal") AS s, min("processedAt") AS f, max("processedAt") AS l
       FROM "Order" WHERE shop = $1 AND NOT test AND "cancelledAt" IS NULL AND "customerId" IS NOT NULL GROUP BY "customerId"),
     cmp AS (
       SELECT c.id, c."orderCount", c."totalSpent", coalesce(f.n, 0) AS n, coalesce(f.s, 0) AS s,
         (c."orderCount" IS DISTINCT FROM coalesce(f.n, 0) OR c."totalSpent" IS DISTINCT FROM coalesce(f.s, 0)
          OR c."firstOrderAt" IS DISTINCT FROM f.f OR c."lastOrderAt" IS DISTINCT FROM f.l) AS wrong
       FROM "Customer" c LEFT JOIN fresh f ON f.id = c.id WHERE c.shop = $1)
     SELECT count(*)::int AS checked, count(*) FILTER (WHERE wrong)::int AS wrong,
       (array_agg(id::text || ': ' || "orderCount" || ' orders ' || "totalSpent" || ', fresh ' || n || ' orders ' || s) FILTER (WHERE wrong))[1:5] AS samples
     FROM cmp`,
    [shop],
  );
  return { checked: agg[0]!.checked, wrong: agg[0]!.wrong, samples: agg[0]!.samples ?? [] };
}

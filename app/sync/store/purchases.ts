import type { Sql } from "../../db/sql";
import { qualifyingOrder } from "./qualifying";

/**
 * The sync's read API for purchases (docs/decisions/076-table-ownership.md): the only way other
 * features read `Order` and `OrderLine`. Every function applies the one rule for a qualifying
 * order (not a test, not cancelled; its value is the current total) unless its name says
 * otherwise, so no feature restates it. Each takes the `Sql` it runs on (the caller's transaction
 * works too). Append new functions at the end; keep the names verbs or nouns of what they return.
 *
 * Timestamps in `Order` are UTC `timestamp(3)`: instants are passed as ISO strings, which the
 * `::timestamp` casts read as UTC whatever the server's zone.
 */

const iso = (d: Date) => d.toISOString();

/** One line of a qualifying order of a customer (lines without a product are left out). */
export interface PurchaseLine {
  customerId: string;
  orderId: string;
  processedAt: Date;
  productId: string;
  productTitle: string | null;
  productType: string | null;
  vendor: string | null;
  quantity: number;
}

/** The lines of the customers' qualifying orders processed before `before`, oldest first. */
export async function purchaseLinesBefore(sql: Sql, shop: string, customerIds: string[], before: Date): Promise<PurchaseLine[]> {
  if (!customerIds.length) return [];
  const rows = await sql.query<PurchaseLine>(
    `SELECT o."customerId"::text AS "customerId", o.id::text AS "orderId", o."processedAt", l."productId"::text AS "productId",
            l."productTitle", l."productType", l.vendor, l.quantity
       FROM "Order" o JOIN "OrderLine" l ON l.shop = o.shop AND l."orderId" = o.id
      WHERE o.shop = $1 AND o."customerId" = ANY($2::bigint[]) AND ${qualifyingOrder("o")} AND o."processedAt" < $3::timestamp
        AND l."productId" IS NOT NULL
      ORDER BY o."processedAt", l.id`,
    [shop, customerIds, iso(before)],
  );
  return rows.map((r) => ({ ...r, processedAt: new Date(r.processedAt), quantity: Number(r.quantity) }));
}

export interface Purchase {
  orderId: string;
  processedAt: Date;
}

/** A customer's first qualifying order processed at or after `since` (null: none). */
export async function firstPurchaseSince(sql: Sql, shop: string, customerId: string, since: Date): Promise<Purchase | null> {
  return (await firstPurchasesInWindows(sql, shop, [{ customerId, from: since }]))[0] ?? null;
}

export interface PurchaseWindow {
  customerId: string;
  /** Inclusive. */
  from: Date;
  /** Exclusive; absent or null: open-ended. */
  to?: Date | null;
}

/**
 * For each window (customer, [from, to)), the customer's first qualifying order inside it, in the
 * order of `windows` (null where there is none). One query however many windows: campaign
 * reactivation, VIP won-back.
 */
export async function firstPurchasesInWindows(sql: Sql, shop: string, windows: PurchaseWindow[]): Promise<Array<Purchase | null>> {
  if (!windows.length) return [];
  const rows = await sql.query<{ i: number; orderId: string; processedAt: Date }>(
    `SELECT w.i::int AS i, f.id::text AS "orderId", f."processedAt"
       FROM unnest($2::bigint[], $3::timestamp[], $4::timestamp[]) WITH ORDINALITY AS w(cid, "from", "to", i)
       JOIN LATERAL (
         SELECT o.id, o."processedAt" FROM "Order" o
          WHERE o.shop = $1 AND o."customerId" = w.cid AND ${qualifyingOrder("o")}
            AND o."processedAt" >= w."from" AND (w."to" IS NULL OR o."processedAt" < w."to")
          ORDER BY o."processedAt", o.id LIMIT 1
       ) f ON true`,
    [shop, windows.map((w) => w.customerId), windows.map((w) => iso(w.from)), windows.map((w) => (w.to ? iso(w.to) : null))],
  );
  const out: Array<Purchase | null> = windows.map(() => null);
  for (const r of rows) out[r.i - 1] = { orderId: r.orderId, processedAt: new Date(r.processedAt) };
  return out;
}

/** The order as a purchase of a customer, if it qualifies and has a customer (order webhooks). */
export async function qualifyingPurchase(
  sql: Sql,
  shop: string,
  orderId: string,
): Promise<{ customerId: string; processedAt: Date } | null> {
  const r = (
    await sql.query<{ customerId: string; processedAt: Date }>(
      `SELECT o."customerId"::text AS "customerId", o."processedAt" FROM "Order" o
        WHERE o.shop = $1 AND o.id = $2::bigint AND ${qualifyingOrder("o")} AND o."customerId" IS NOT NULL`,
      [shop, orderId],
    )
  )[0];
  return r ? { customerId: r.customerId, processedAt: new Date(r.processedAt) } : null;
}

/** Every order of a customer as stored, qualifying or not (the points ledger decides itself). */
export interface CustomerOrder {
  id: string;
  customerId: string;
  processedAt: Date;
  updatedAt: Date;
  cancelled: boolean;
  test: boolean;
  /** Decimal string, exact. */
  currentTotal: string;
}

/** All orders of some customers (`null`: of every customer of the shop), test and cancelled ones included. */
export async function ordersOfCustomers(sql: Sql, shop: string, customerIds: string[] | null): Promise<CustomerOrder[]> {
  if (customerIds && !customerIds.length) return [];
  const filter = customerIds ? `AND "customerId" = ANY($2::bigint[])` : `AND "customerId" IS NOT NULL`;
  return sql.query<CustomerOrder>(
    `SELECT id::text AS id, "customerId"::text AS "customerId", "processedAt", "updatedAt", ("cancelledAt" IS NOT NULL) AS cancelled, test,
            "currentTotal"::text AS "currentTotal"
       FROM "Order" WHERE shop = $1 ${filter}`,
    customerIds ? [shop, customerIds] : [shop],
  );
}

/** Ids of the shop's customers with at least one stored order (any order), ascending as text. */
export async function customerIdsWithOrders(sql: Sql, shop: string): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `SELECT DISTINCT "customerId"::text AS id FROM "Order" WHERE shop = $1 AND "customerId" IS NOT NULL`,
    [shop],
  );
  return rows.map((r) => r.id).sort();
}

/** Up to `limit` product titles the customer bought most often (then most recently), from qualifying orders. */
export async function mostBoughtProductTitles(sql: Sql, shop: string, customerId: string, limit = 3): Promise<string[]> {
  const rows = await sql.query<{ title: string }>(
    `SELECT l."productTitle" AS title
       FROM "OrderLine" l JOIN "Order" o ON o.shop = l.shop AND o.id = l."orderId"
      WHERE l.shop = $1 AND o."customerId" = $2::bigint AND ${qualifyingOrder("o")} AND l."productTitle" IS NOT NULL
      GROUP BY l."productTitle"
      ORDER BY sum(l.quantity) DESC, max(o."processedAt") DESC, l."productTitle"
      LIMIT $3`,
    [shop, customerId, limit],
  );
  return rows.map((r) => r.title);
}

/** What a customer's qualifying orders in a window add up to (campaign measurement). */
export interface WindowTotals {
  /** Decimal strings, exact. */
  revenue: string;
  firstAt: Date | null;
  orders: number;
  /** Orders that used `discountCode` (case-insensitive) and their total. */
  redemptions: number;
  redeemedTotal: string;
}

/**
 * Per customer, the qualifying orders processed in [from, to): revenue, first order, and those
 * that used `discountCode`. Every requested customer is in the map (zeros when none).
 */
export async function purchaseTotalsInWindow(
  sql: Sql,
  shop: string,
  customerIds: string[],
  window: { from: Date; to: Date; discountCode?: string | null },
): Promise<Map<string, WindowTotals>> {
  const out = new Map<string, WindowTotals>();
  if (!customerIds.length) return out;
  const code = `upper($5) = ANY (SELECT upper(x) FROM unnest(o."discountCodes") x)`;
  const rows = await sql.query<WindowTotals & { customerId: string }>(
    `SELECT c.id::text AS "customerId", coalesce(sum(o."currentTotal"), 0)::text AS revenue, min(o."processedAt") AS "firstAt", count(o.id)::int AS orders,
            count(o.id) FILTER (WHERE ${code})::int AS redemptions,
            coalesce(sum(o."currentTotal") FILTER (WHERE ${code}), 0)::text AS "redeemedTotal"
       FROM unnest($2::bigint[]) AS c(id)
       LEFT JOIN "Order" o ON o.shop = $1 AND o."customerId" = c.id AND o."processedAt" >= $3::timestamp AND o."processedAt" < $4::timestamp AND ${qualifyingOrder("o")}
      GROUP BY c.id`,
    [shop, customerIds, iso(window.from), iso(window.to), window.discountCode ?? null],
  );
  for (const { customerId, ...t } of rows) out.set(customerId, { ...t, firstAt: t.firstAt ? new Date(t.firstAt) : null });
  return out;
}

/**
 * Customers who had bought before `at` but not for `silentDays` (lapsed at `at`), and how many of
 * them came back with a qualifying order in [at, until): the baseline reactivation rate.
 */
export async function lapsedAndReturned(
  sql: Sql,
  shop: string,
  at: Date,
  until: Date,
  silentDays: number,
): Promise<{ lapsed: number; returned: number }> {
  const rows = await sql.query<{ lapsed: number; returned: number }>(
    `WITH lapsed AS (
       SELECT "customerId" FROM "Order" WHERE shop = $1 AND ${qualifyingOrder()} AND "customerId" IS NOT NULL AND "processedAt" < $2::timestamp
       GROUP BY "customerId" HAVING max("processedAt") < $2::timestamp - make_interval(days => $4)
     )
     SELECT count(*)::int AS lapsed,
            count(*) FILTER (WHERE EXISTS (SELECT 1 FROM "Order" o WHERE o.shop = $1 AND o."customerId" = l."customerId" AND ${qualifyingOrder("o")}
                                           AND o."processedAt" >= $2::timestamp AND o."processedAt" < $3::timestamp))::int AS returned
       FROM lapsed l`,
    [shop, iso(at), iso(until), silentDays],
  );
  return rows[0] ?? { lapsed: 0, returned: 0 };
}

/** One qualifying order as the analysis reads it. */
export interface PurchasePoint {
  /** null: a guest order (no customer). */
  customerId: string | null;
  /** processedAt in epoch milliseconds. */
  at: number;
  value: number;
}

/**
 * The shop's qualifying orders in bounded batches (memory stays at one batch for any shop size):
 * first the customers' orders, read in customer-id ranges found with an OFFSET probe on the
 * (shop, customerId) index so one customer's orders never straddle two batches; then guest orders
 * by order id. `chunk` is about the orders per batch (a customer's orders are never split, so a
 * batch may hold a few more).
 */
export async function* purchaseBatches(sql: Sql, shop: string, chunk = 5_000): AsyncGenerator<PurchasePoint[]> {
  const cols = `(extract(epoch from "processedAt") * 1000)::float8 AS t, "currentTotal"::float8 AS v`;
  const qualifying = qualifyingOrder();
  const MIN_ID = "-9223372036854775808"; // below every bigint id
  let after = MIN_ID;
  for (;;) {
    const probe = await sql.query<{ c: string }>(
      `SELECT "customerId"::text AS c FROM "Order" WHERE shop = $1 AND "customerId" > $2::bigint ORDER BY "customerId" OFFSET $3 LIMIT 1`,
      [shop, after, chunk - 1],
    );
    const upper = probe[0]?.c ?? null;
    const rows =
      upper === null
        ? await sql.query<{ c: string; t: number; v: number }>(
            `SELECT "customerId"::text AS c, ${cols} FROM "Order" WHERE shop = $1 AND "customerId" > $2::bigint AND ${qualifying}`,
            [shop, after],
          )
        : await sql.query<{ c: string; t: number; v: number }>(
            `SELECT "customerId"::text AS c, ${cols} FROM "Order" WHERE shop = $1 AND "customerId" > $2::bigint AND "customerId" <= $3::bigint AND ${qualifying}`,
            [shop, after, upper],
          );
    if (rows.length) yield rows.map((r) => ({ customerId: r.c, at: Number(r.t), value: Number(r.v) }));
    if (upper === null) break;
    after = upper;
  }
  let afterOrder = MIN_ID;
  for (;;) {
    // "Order".id, not id: the bare name is the text output column, whose order ("1004" < "14") skipped guest orders.
    const rows = await sql.query<{ id: string; t: number; v: number }>(
      `SELECT id::text AS id, ${cols} FROM "Order" WHERE shop = $1 AND "customerId" IS NULL AND id > $2::bigint AND ${qualifying} ORDER BY "Order".id LIMIT $3`,
      [shop, afterOrder, chunk],
    );
    if (rows.length) yield rows.map((r) => ({ customerId: null, at: Number(r.t), value: Number(r.v) }));
    if (rows.length < chunk) break;
    afterOrder = rows[rows.length - 1]!.id;
  }
}

/** How many of the shop's orders are left out of every figure: test orders, and cancelled real ones. */
export async function excludedOrderCounts(sql: Sql, shop: string): Promise<{ test: number; cancelled: number }> {
  const ex = await sql.query<{ test: number; cancelled: number }>(
    `SELECT count(*) FILTER (WHERE test)::int AS test, count(*) FILTER (WHERE NOT test AND "cancelledAt" IS NOT NULL)::int AS cancelled FROM "Order" WHERE shop = $1`,
    [shop],
  );
  return ex[0] ?? { test: 0, cancelled: 0 };
}

/**
 * Like purchaseTotalsInWindow, but each customer has their own window [from, to) (an always-on
 * program's members, each measured from their own enrolment). Results in the order of `windows`.
 */
export async function purchaseTotalsInWindows(
  sql: Sql,
  shop: string,
  windows: Array<{ customerId: string; from: Date; to: Date }>,
  discountCode?: string | null,
): Promise<WindowTotals[]> {
  if (!windows.length) return [];
  const code = `upper($5) = ANY (SELECT upper(x) FROM unnest(o."discountCodes") x)`;
  const rows = await sql.query<WindowTotals & { i: number }>(
    `SELECT w.i::int AS i, coalesce(sum(o."currentTotal"), 0)::text AS revenue, min(o."processedAt") AS "firstAt", count(o.id)::int AS orders,
            count(o.id) FILTER (WHERE ${code})::int AS redemptions,
            coalesce(sum(o."currentTotal") FILTER (WHERE ${code}), 0)::text AS "redeemedTotal"
       FROM unnest($2::bigint[], $3::timestamp[], $4::timestamp[]) WITH ORDINALITY AS w(cid, "from", "to", i)
       LEFT JOIN "Order" o ON o.shop = $1 AND o."customerId" = w.cid AND o."processedAt" >= w."from" AND o."processedAt" < w."to" AND ${qualifyingOrder("o")}
      GROUP BY w.i`,
    [shop, windows.map((w) => w.customerId), windows.map((w) => iso(w.from)), windows.map((w) => iso(w.to)), discountCode ?? null],
  );
  const out: WindowTotals[] = windows.map(() => ({ revenue: "0", firstAt: null, orders: 0, redemptions: 0, redeemedTotal: "0" }));
  for (const { i, ...t } of rows) out[i - 1] = { ...t, firstAt: t.firstAt ? new Date(t.firstAt) : null };
  return out;
}

/** One order as a customer's profile lists it (every order, test and cancelled ones flagged, newest first). */
export interface OrderTimelineRow {
  id: string;
  name: string | null;
  processedAt: Date;
  cancelled: boolean;
  test: boolean;
  financialStatus: string | null;
  /** Decimal string, exact. */
  currentTotal: string;
  currency: string;
}

/** A customer's orders, newest first, at most `limit` (the profile page's timeline). */
export async function orderTimeline(sql: Sql, shop: string, customerId: string, limit = 200): Promise<OrderTimelineRow[]> {
  const rows = await sql.query<OrderTimelineRow>(
    `SELECT id::text AS id, name, "processedAt", ("cancelledAt" IS NOT NULL) AS cancelled, test, "financialStatus", "currentTotal"::text AS "currentTotal", currency
       FROM "Order" WHERE shop = $1 AND "customerId" = $2::bigint ORDER BY "processedAt" DESC, id DESC LIMIT $3`,
    [shop, customerId, limit],
  );
  return rows.map((r) => ({ ...r, processedAt: new Date(r.processedAt) }));
}

/**
 * A run of customers' qualifying orders in columns: customer `customerIds[k]` owns the orders
 * `starts[k]` to `starts[k + 1]` (exclusive) of `at` (processedAt, epoch ms) and `value` (current
 * total), oldest first. Guest orders come as batches with no customers (`customerIds` empty, every
 * order in `at` and `value`).
 */
export interface PurchaseColumns {
  customerIds: string[];
  starts: Int32Array;
  at: Float64Array;
  value: Float64Array;
}

/**
 * The shop's qualifying orders as purchaseBatches reads them (customer-id ranges of about `chunk`
 * orders, then guest orders), but ordered by customer then time and delivered in columns: one
 * query returns a range as one text value that is parsed straight into typed arrays, so a
 * 5-million-order shop never becomes millions of row objects (the analysis at scale, ADR 088).
 */
export async function* purchaseColumnBatches(sql: Sql, shop: string, chunk = 50_000): AsyncGenerator<PurchaseColumns> {
  const qualifying = qualifyingOrder();
  // "customerId,epochMs,cents" per order, ";" between orders; numeric(14,2) × 100 is a whole number of cents.
  const packed = (id: string) =>
    `string_agg(${id}::text || ',' || (extract(epoch from "processedAt") * 1000)::bigint::text || ',' || ("currentTotal" * 100)::bigint::text, ';'`;
  const MIN_ID = "-9223372036854775808"; // below every bigint id
  let after = MIN_ID;
  for (;;) {
    const probe = await sql.query<{ c: string }>(
      `SELECT "customerId"::text AS c FROM "Order" WHERE shop = $1 AND "customerId" > $2::bigint ORDER BY "customerId" OFFSET $3 LIMIT 1`,
      [shop, after, chunk - 1],
    );
    const upper = probe[0]?.c ?? null;
    const range = upper === null ? "" : ` AND "customerId" <= $3::bigint`;
    const rows = await sql.query<{ b: string | null }>(
      `SELECT ${packed('"customerId"')} ORDER BY "customerId", "processedAt", id) AS b FROM "Order" WHERE shop = $1 AND "customerId" > $2::bigint AND ${qualifying}${range}`,
      upper === null ? [shop, after] : [shop, after, upper],
    );
    if (rows[0]?.b) yield unpackPurchases(rows[0].b, true);
    if (upper === null) break;
    after = upper;
  }
  let afterOrder = MIN_ID;
  for (;;) {
    const rows = await sql.query<{ b: string | null; last: string | null; n: number }>(
      `SELECT ${packed("id")} ORDER BY id) AS b, max(id)::text AS last, count(*)::int AS n
         FROM (SELECT id, "processedAt", "currentTotal" FROM "Order" WHERE shop = $1 AND "customerId" IS NULL AND id > $2::bigint AND ${qualifying} ORDER BY id LIMIT $3) g`,
      [shop, afterOrder, chunk],
    );
    const r = rows[0];
    if (r?.b) yield unpackPurchases(r.b, false);
    if (!r?.last || r.n < chunk) break;
    afterOrder = r.last;
  }
}

/** Parses purchaseColumnBatches' packed text (the first field starts a new customer when it changes, unless `customers` is false). */
function unpackPurchases(b: string, customers: boolean): PurchaseColumns {
  let count = 1;
  for (let i = b.indexOf(";"); i !== -1; i = b.indexOf(";", i + 1)) count++;
  const at = new Float64Array(count),
    value = new Float64Array(count);
  const customerIds: string[] = [];
  const starts: number[] = [];
  let prev = "";
  let i = 0;
  for (let k = 0; k < count; k++) {
    const c1 = b.indexOf(",", i);
    if (customers) {
      // Compare in place: a new string only when the customer changes (about one in five orders).
      const len = c1 - i;
      if (len !== prev.length || !b.startsWith(prev, i)) {
        prev = b.slice(i, c1);
        customerIds.push(prev);
        starts.push(k);
      }
    }
    let j = c1 + 1;
    let neg = false;
    let n = 0;
    if (b.charCodeAt(j) === 45) {
      neg = true;
      j++;
    }
    for (let ch = b.charCodeAt(j); j < b.length && ch !== 44; ch = b.charCodeAt(++j)) n = n * 10 + (ch - 48);
    at[k] = neg ? -n : n;
    j++;
    neg = false;
    n = 0;
    if (b.charCodeAt(j) === 45) {
      neg = true;
      j++;
    }
    for (let ch = b.charCodeAt(j); j < b.length && ch !== 59; ch = b.charCodeAt(++j)) n = n * 10 + (ch - 48);
    // cents / 100 is the double nearest the decimal, as parsing "12.34" gives.
    value[k] = (neg ? -n : n) / 100;
    i = j + 1;
  }
  starts.push(count);
  return { customerIds, starts: Int32Array.from(starts), at, value };
}

/**
 * A set of customers with a group label, as SQL written by the table's owner (a campaign's members:
 * the campaigns store builds it). `text` is a SELECT yielding `"customerId"` (bigint) and `"group"`
 * (text), each customer once, its placeholders `$1…$n` numbered over its own `params`. The sync never names the owner's
 * table: it only joins the relation, so a campaign of 400,000 members is measured without sending
 * 400,000 ids over the wire.
 */
export interface CustomerGroups {
  text: string;
  params: unknown[];
}

/** One group's customers whose first qualifying order in the window fell on one day. */
export interface GroupFirstOrderDay {
  group: string;
  /** whole days from `window.from` to the customer's first order in the window */
  day: number;
  customers: number;
  /** Decimal strings, exact: Σ of each customer's window revenue, and Σ of its square. */
  revenue: string;
  revenueSq: string;
  /** Orders that used `discountCode` (case-insensitive) and their total. */
  redemptions: number;
  redeemedTotal: string;
}

/**
 * purchaseTotalsInWindow summed per group and per day of first order, for the customers of
 * `groups` who have a qualifying order in [from, to) (customers without one add nothing but a
 * count, which their owner has). One statement: the window's orders joined to the relation.
 */
export async function purchaseTotalsByGroup(
  sql: Sql,
  shop: string,
  groups: CustomerGroups,
  window: { from: Date; to: Date; discountCode?: string | null },
): Promise<GroupFirstOrderDay[]> {
  const fixed = [shop, iso(window.from), iso(window.to), window.discountCode ?? null];
  const relation = groups.text.replace(/\$(\d+)/g, (_, k: string) => `$${Number(k) + fixed.length}`);
  const code = `upper($4) = ANY (SELECT upper(x) FROM unnest(o."discountCodes") x)`;
  // The relation is referenced once, so the planner joins it freely: the window's orders (one range
  // of the (shop, processedAt) index) hashed against the members, not one index probe per member.
  const rows = await sql.query<GroupFirstOrderDay>(
    `SELECT p."group", floor(extract(epoch from p.first - $2::timestamp) / 86400)::int AS day, count(*)::int AS customers,
            sum(p.rev)::text AS revenue, sum(p.rev * p.rev)::text AS "revenueSq",
            sum(p.redemptions)::int AS redemptions, sum(p.redeemed)::text AS "redeemedTotal"
       FROM (SELECT g."customerId", g."group", sum(o."currentTotal") AS rev, min(o."processedAt") AS first,
                    count(*) FILTER (WHERE ${code}) AS redemptions, coalesce(sum(o."currentTotal") FILTER (WHERE ${code}), 0) AS redeemed
               FROM "Order" o JOIN (${relation}) g ON g."customerId" = o."customerId"
              WHERE o.shop = $1 AND o."processedAt" >= $2::timestamp AND o."processedAt" < $3::timestamp AND ${qualifyingOrder("o")}
              GROUP BY g."customerId", g."group") p
      GROUP BY 1, 2 ORDER BY 1, 2`,
    [...fixed, ...groups.params],
  );
  return rows;
}

/** A customer's qualifying orders before an instant, summed (uplift features, ADR 100). */
export interface HistoryBefore {
  orders: number;
  firstAt: Date | null;
  lastAt: Date | null;
  /** what they came to, as a number (a feature, not an amount shown) */
  spent: number;
}

/**
 * For each (customer, at), their qualifying orders processed before `at`: how many, first, last,
 * total. One query however many points, in the order of `points`: a past campaign member at their
 * assignment, or a candidate now.
 */
export async function purchaseHistoriesBefore(
  sql: Sql,
  shop: string,
  points: ReadonlyArray<{ customerId: string; at: Date }>,
): Promise<HistoryBefore[]> {
  if (!points.length) return [];
  const rows = await sql.query<{ i: number; orders: number; firstAt: Date | null; lastAt: Date | null; spent: number | null }>(
    `SELECT p.i::int AS i, count(o.id)::int AS orders, min(o."processedAt") AS "firstAt", max(o."processedAt") AS "lastAt",
            coalesce(sum(o."currentTotal"), 0)::float8 AS spent
       FROM unnest($2::bigint[], $3::timestamp[]) WITH ORDINALITY AS p(cid, at, i)
       LEFT JOIN "Order" o ON o.shop = $1 AND o."customerId" = p.cid AND o."processedAt" < p.at AND ${qualifyingOrder("o")}
      GROUP BY p.i`,
    [shop, points.map((p) => p.customerId), points.map((p) => iso(p.at))],
  );
  const out: HistoryBefore[] = points.map(() => ({ orders: 0, firstAt: null, lastAt: null, spent: 0 }));
  for (const r of rows)
    out[r.i - 1] = {
      orders: r.orders,
      firstAt: r.firstAt ? new Date(r.firstAt) : null,
      lastAt: r.lastAt ? new Date(r.lastAt) : null,
      spent: Number(r.spent ?? 0),
    };
  return out;
}

/** One customer's window with the discount code its redemptions are counted against (null: none). */
export interface CodeWindow {
  customerId: string;
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
  code: string | null;
}

/**
 * purchaseTotalsInWindows with a code per window: one customer's memberships of several campaigns
 * in one statement (the campaigns' maintained totals, ADR 105, recompute the members an order
 * touched from here). The same sums as purchaseTotalsByGroup per customer, so the maintained
 * figures and the join agree to the cent. Results in the order of `windows`.
 */
export async function purchaseTotalsInCodeWindows(sql: Sql, shop: string, windows: CodeWindow[]): Promise<WindowTotals[]> {
  if (!windows.length) return [];
  const code = `upper(w.code) = ANY (SELECT upper(x) FROM unnest(o."discountCodes") x)`;
  const rows = await sql.query<WindowTotals & { i: number }>(
    `SELECT w.i::int AS i, coalesce(sum(o."currentTotal"), 0)::text AS revenue, min(o."processedAt") AS "firstAt", count(o.id)::int AS orders,
            count(o.id) FILTER (WHERE ${code})::int AS redemptions,
            coalesce(sum(o."currentTotal") FILTER (WHERE ${code}), 0)::text AS "redeemedTotal"
       FROM unnest($2::bigint[], $3::timestamp[], $4::timestamp[], $5::text[]) WITH ORDINALITY AS w(cid, "from", "to", code, i)
       LEFT JOIN "Order" o ON o.shop = $1 AND o."customerId" = w.cid AND o."processedAt" >= w."from" AND o."processedAt" < w."to" AND ${qualifyingOrder("o")}
      GROUP BY w.i`,
    [shop, windows.map((w) => w.customerId), windows.map((w) => iso(w.from)), windows.map((w) => iso(w.to)), windows.map((w) => w.code)],
  );
  const out: WindowTotals[] = windows.map(() => ({ revenue: "0", firstAt: null, orders: 0, redemptions: 0, redeemedTotal: "0" }));
  for (const { i, ...t } of rows) out[i - 1] = { ...t, firstAt: t.firstAt ? new Date(t.firstAt) : null };
  return out;
}

/** One customer's qualifying orders in a window, summed (purchaseTotalsByCustomer). */
export interface CustomerWindowTotals {
  customerId: string;
  firstAt: Date;
  /** Decimal strings, exact. */
  revenue: string;
  redemptions: number;
  redeemedTotal: string;
}

/**
 * purchaseTotalsByGroup before its grouping: per customer of `groups` with a qualifying order in
 * [from, to), their first order, revenue and redemptions of `discountCode`. The reconciliation of a
 * campaign's maintained totals (ADR 105) compares these with what its members carry.
 */
export async function purchaseTotalsByCustomer(
  sql: Sql,
  shop: string,
  groups: CustomerGroups,
  window: { from: Date; to: Date; discountCode?: string | null },
): Promise<CustomerWindowTotals[]> {
  const fixed = [shop, iso(window.from), iso(window.to), window.discountCode ?? null];
  const relation = groups.text.replace(/\$(\d+)/g, (_, k: string) => `$${Number(k) + fixed.length}`);
  const code = `upper($4) = ANY (SELECT upper(x) FROM unnest(o."discountCodes") x)`;
  const rows = await sql.query<CustomerWindowTotals>(
    `SELECT g."customerId"::text AS "customerId", min(o."processedAt") AS "firstAt", sum(o."currentTotal")::text AS revenue,
            (count(*) FILTER (WHERE ${code}))::int AS redemptions, coalesce(sum(o."currentTotal") FILTER (WHERE ${code}), 0)::text AS "redeemedTotal"
       FROM "Order" o JOIN (${relation}) g ON g."customerId" = o."customerId"
      WHERE o.shop = $1 AND o."processedAt" >= $2::timestamp AND o."processedAt" < $3::timestamp AND ${qualifyingOrder("o")}
      GROUP BY g."customerId"`,
    [...fixed, ...groups.params],
  );
  return rows.map((r) => ({ ...r, firstAt: new Date(r.firstAt) }));
}

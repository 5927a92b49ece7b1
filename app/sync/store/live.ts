import { z } from "zod";
import type { Sql } from "../../db/sql";
import { parseOrThrow } from "../../lib/parse";
import { stripNulDeep } from "../../lib/text";
import { refreshAggregates } from "./staging";

/**
 * Live updates from webhooks (REST payloads, handled in app/sync/webhooks.ts): orders/create, orders/updated, customers/update.
 * Each is applied in one transaction, newest version wins by `updated_at` (Shopify does not
 * guarantee delivery order), and the one customer's aggregates are recomputed right away.
 */
// REST ids are JSON numbers; beyond 2^53 JSON.parse has already rounded them. The exact id is the
// numeric tail of `admin_graphql_api_id` (a string), preferred wherever the payload has one.
const id = z
  .union([z.number().refine(Number.isInteger, "expected an integer id"), z.string().regex(/^\d+$/)])
  .transform((v) => (typeof v === "number" ? BigInt(v).toString() : v));
const gid = z
  .string()
  .regex(/^gid:\/\/shopify\/\w+\/\d+$/)
  .optional();
function exactId(o: { id: string; admin_graphql_api_id?: string }, ctx: z.RefinementCtx): string {
  if (o.admin_graphql_api_id) return o.admin_graphql_api_id.slice(o.admin_graphql_api_id.lastIndexOf("/") + 1);
  if (!Number.isSafeInteger(Number(o.id)))
    ctx.addIssue({ code: "custom", message: `id ${o.id} is beyond 2^53 and there is no admin_graphql_api_id` });
  return o.id;
}
const withExactId = <T extends z.ZodRawShape>(shape: T) =>
  z.object({ id, admin_graphql_api_id: gid, ...shape }).transform((o, ctx) => ({ ...o, id: exactId(o as never, ctx) }));
const date = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "expected a date-time");
const amount = z.union([z.string().regex(/^-?\d+(\.\d+)?$/), z.number()]).transform((v) => String(v));

export const OrderWebhookSchema = withExactId({
  name: z.string().nullish(),
  created_at: date,
  processed_at: date.nullish(),
  updated_at: date,
  cancelled_at: date.nullish(),
  test: z.boolean().default(false),
  financial_status: z.string().nullish(),
  currency: z.string().min(1),
  total_price: amount,
  current_total_price: amount.nullish(),
  discount_codes: z.array(z.object({ code: z.string() })).default([]),
  customer: withExactId({
    email: z.string().nullish(),
    first_name: z.string().nullish(),
    last_name: z.string().nullish(),
    phone: z.string().nullish(),
  }).nullish(),
  line_items: z
    .array(
      withExactId({
        product_id: id.nullish(),
        variant_id: id.nullish(),
        title: z.string().nullish(),
        vendor: z.string().nullish(),
        product_type: z.string().nullish(),
        quantity: z.number().int(),
        price: amount,
      }),
    )
    .default([]),
});

export const CustomerWebhookSchema = withExactId({
  email: z.string().nullish(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  phone: z.string().nullish(),
  updated_at: date,
  tags: z.union([z.string(), z.array(z.string())]).nullish(),
  email_marketing_consent: z.object({ state: z.string().nullish() }).nullish(),
  sms_marketing_consent: z.object({ state: z.string().nullish() }).nullish(),
});

export type ApplyOutcome = "applied" | "stale";

const ts = (p: string) => `(${p}::timestamptz AT TIME ZONE 'UTC')`;

export interface AppliedOrder {
  outcome: ApplyOutcome;
  orderId: string;
  customerId: string | null;
  /** The customer the stored order belonged to before, when the change moved it to another one. */
  previousCustomerId: string | null;
}

export async function applyOrderWebhook(sql: Sql, shop: string, payload: unknown): Promise<ApplyOutcome> {
  return (await applyOrderChange(sql, shop, payload)).outcome;
}

export type ParsedOrderWebhook = z.output<typeof OrderWebhookSchema>;

/** The order webhook's body, validated (zod) and with NUL stripped; bad input is an INVALID_INPUT AppError. */
export function parseOrderWebhook(payload: unknown): ParsedOrderWebhook {
  // NUL is stripped at the webhook dispatcher; again here (the one rule, app/lib/text.ts) for any other caller.
  return parseOrThrow(OrderWebhookSchema, stripNulDeep(payload), "order webhook");
}

/** Parses and applies an order webhook; says what changed so features can react without parsing it again. */
export async function applyOrderChange(sql: Sql, shop: string, payload: unknown): Promise<AppliedOrder> {
  return (await applyOrderChanges(sql, shop, [parseOrderWebhook(payload)]))[0]!;
}

/**
 * Applies several parsed orders of one shop in ONE transaction, set-based (a handful of statements
 * whatever their number): under a webhook storm the per-order round trips, not the rows, are the
 * cost (docs/decisions/087-scale-benchmark.md). Each order's outcome is the one it would have had
 * alone: newest `updated_at` wins, the customers' aggregates are recomputed in the same
 * transaction. Order ids must be distinct (two versions of one order go in two calls, in order).
 * `onWritten` runs last inside the transaction with the customers whose orders changed (figures
 * other features keep from the orders, ADR 105); the customers are still locked then.
 */
export async function applyOrderChanges(
  sql: Sql,
  shop: string,
  orders: ParsedOrderWebhook[],
  onWritten?: (tx: Sql, shop: string, customerIds: string[]) => Promise<void>,
): Promise<AppliedOrder[]> {
  if (!orders.length) return [];
  const ids = orders.map((o) => o.id);
  if (new Set(ids).size !== ids.length) throw new Error("applyOrderChanges: an order id appears twice in one batch");
  return retryOnDeadlock(() =>
    sql.transaction(async (tx): Promise<AppliedOrder[]> => {
      const customerOf = (o: ParsedOrderWebhook) => o.customer?.id ?? null;
      // The customers whose aggregates this change recomputes are locked first, in id order, before
      // the orders are written: under READ COMMITTED a refresh counts what was committed when its
      // statement began, so two writers for one customer must run one after the other, or the
      // later refresh overwrites the figures with a count that misses the other's order.
      const seen = await tx.query<{ id: string; customerId: string | null }>(
        `SELECT id::text AS id, "customerId"::text AS "customerId" FROM "Order" WHERE shop = $1 AND id = ANY($2::bigint[])`,
        [shop, ids],
      );
      const locked = new Set<string>();
      await lockCustomers(tx, shop, [...orders.map(customerOf), ...seen.map((r) => r.customerId)], locked);
      const withCustomer = orders.filter((o) => customerOf(o) !== null);
      if (withCustomer.length) {
        // A customer seen first through an order: a stub the customer sync / webhook fills in.
        await tx.query(
          `INSERT INTO "Customer" (shop, id, email, "firstName", "lastName", phone)
           SELECT $1, u.id, u.email, u.fn, u.ln, u.phone FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(id, email, fn, ln, phone)
           ON CONFLICT (shop, id) DO NOTHING`,
          [
            shop,
            withCustomer.map(customerOf),
            withCustomer.map((o) => o.customer?.email ?? null),
            withCustomer.map((o) => o.customer?.first_name ?? null),
            withCustomer.map((o) => o.customer?.last_name ?? null),
            withCustomer.map((o) => o.customer?.phone ?? null),
          ],
        );
        // A stub another writer inserted meanwhile was invisible to the first lock: lock it now.
        await lockCustomers(tx, shop, withCustomer.map(customerOf), locked);
      }
      const before = await tx.query<{ id: string; customerId: string | null }>(
        `SELECT id::text AS id, "customerId"::text AS "customerId" FROM "Order" WHERE shop = $1 AND id = ANY($2::bigint[]) ORDER BY id FOR UPDATE`,
        [shop, ids],
      );
      const movedFrom = new Map(before.map((r) => [r.id, r.customerId]));
      // Another change moved an order between the first read and its lock (rare): lock that one too.
      await lockCustomers(tx, shop, [...movedFrom.values()], locked);
      const won = new Set(
        (
          await tx.query<{ id: string }>(
            `INSERT INTO "Order" AS o (shop, id, "customerId", name, "processedAt", "createdAt", "updatedAt", "cancelledAt", test, "financialStatus", "currentTotal", "totalPrice", currency, "discountCodes")
             SELECT $1, u.id, u.cid, u.name, u.p AT TIME ZONE 'UTC', u.c AT TIME ZONE 'UTC', u.u AT TIME ZONE 'UTC', u.x AT TIME ZONE 'UTC', u.test, u.fs, u.cur, u.tot, u.ccy,
               ARRAY(SELECT jsonb_array_elements_text(u.codes))
             FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[], $8::timestamptz[], $9::bool[], $10::text[],
               $11::numeric[], $12::numeric[], $13::text[], $14::jsonb[]) AS u(id, cid, name, p, c, u, x, test, fs, cur, tot, ccy, codes)
             ON CONFLICT (shop, id) DO UPDATE SET "customerId" = excluded."customerId", name = excluded.name, "processedAt" = excluded."processedAt",
               "createdAt" = excluded."createdAt", "updatedAt" = excluded."updatedAt", "cancelledAt" = excluded."cancelledAt", test = excluded.test,
               "financialStatus" = excluded."financialStatus", "currentTotal" = excluded."currentTotal", "totalPrice" = excluded."totalPrice",
               currency = excluded.currency, "discountCodes" = excluded."discountCodes"
             WHERE excluded."updatedAt" >= o."updatedAt"
             RETURNING id::text AS id`,
            [
              shop,
              ids,
              orders.map(customerOf),
              orders.map((o) => o.name ?? null),
              orders.map((o) => o.processed_at ?? o.created_at),
              orders.map((o) => o.created_at),
              orders.map((o) => o.updated_at),
              orders.map((o) => o.cancelled_at ?? null),
              orders.map((o) => o.test),
              orders.map((o) => (o.financial_status ? o.financial_status.toUpperCase() : null)),
              orders.map((o) => o.current_total_price ?? o.total_price),
              orders.map((o) => o.total_price),
              orders.map((o) => o.currency),
              orders.map((o) => JSON.stringify(o.discount_codes.map((d) => d.code))),
            ],
          )
        ).map((r) => r.id),
      );
      const applied = orders.filter((o) => won.has(o.id));
      if (applied.length) {
        // Lines the new version no longer has go; the rest are upserted.
        const pairs = applied.flatMap((o) => o.line_items.map((l) => [o.id, l.id] as const));
        await tx.query(
          `DELETE FROM "OrderLine" l WHERE l.shop = $1 AND l."orderId" = ANY($2::bigint[])
             AND NOT EXISTS (SELECT 1 FROM unnest($3::bigint[], $4::bigint[]) AS k(oid, lid) WHERE k.oid = l."orderId" AND k.lid = l.id)`,
          [shop, applied.map((o) => o.id), pairs.map((p) => p[0]), pairs.map((p) => p[1])],
        );
        const L = applied.flatMap((o) => o.line_items.map((l) => ({ ...l, orderId: o.id })));
        if (L.length)
          await tx.query(
            `INSERT INTO "OrderLine" AS l (shop, id, "orderId", "productId", "variantId", "productTitle", "productType", vendor, quantity, "unitPrice")
             SELECT $1, u.id, u.oid, u.pid, u.vid, u.title, u.ptype, u.vendor, u.qty, u.price
             FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::int[], $10::numeric[]) AS u(id, oid, pid, vid, title, ptype, vendor, qty, price)
             ON CONFLICT (shop, "orderId", id) DO UPDATE SET "productId" = excluded."productId", "variantId" = excluded."variantId",
               "productTitle" = excluded."productTitle", "productType" = coalesce(excluded."productType", l."productType"), vendor = excluded.vendor,
               quantity = excluded.quantity, "unitPrice" = excluded."unitPrice"`,
            [
              shop,
              L.map((l) => l.id),
              L.map((l) => l.orderId),
              L.map((l) => l.product_id ?? null),
              L.map((l) => l.variant_id ?? null),
              L.map((l) => l.title ?? null),
              L.map((l) => l.product_type ?? null),
              L.map((l) => l.vendor ?? null),
              L.map((l) => l.quantity),
              L.map((l) => l.price),
            ],
          );
        const affected = new Set<string>();
        for (const o of applied) {
          const c = customerOf(o);
          const prev = movedFrom.get(o.id) ?? null;
          if (c) affected.add(c);
          if (prev) affected.add(prev);
        }
        await refreshAggregates(tx, shop, [...affected]);
        if (onWritten) await onWritten(tx, shop, [...affected]);
      }
      return orders.map((o): AppliedOrder => {
        const customerId = customerOf(o);
        const previous = movedFrom.get(o.id) ?? null;
        return {
          outcome: won.has(o.id) ? "applied" : "stale", // stale: an older version delivered late
          orderId: o.id,
          customerId,
          previousCustomerId: previous !== customerId ? previous : null,
        };
      });
    }),
  );
}

/**
 * Row locks (FOR UPDATE) on the shop's customers among `ids`, taken in id order so that writers
 * locking several customers (an order moving between two) never wait on each other in a cycle.
 * The sync's merge takes the same locks in the same order (app/sync/store/staging.ts lockCustomersOfRun).
 * Row locks, not advisory locks: a merge may lock every customer of a shop, and row locks are
 * not limited by the shared lock table.
 */
export async function lockCustomers(tx: Sql, shop: string, ids: Array<string | null>, locked: Set<string>) {
  const want = [...new Set(ids.filter((c): c is string => !!c && !locked.has(c)))];
  if (!want.length) return;
  const rows = await tx.query<{ id: string }>(
    `SELECT id::text AS id FROM "Customer" WHERE shop = $1 AND id = ANY($2::bigint[]) ORDER BY id FOR UPDATE`,
    [shop, want],
  );
  for (const r of rows) locked.add(r.id);
}

/**
 * PostgreSQL breaks a lock cycle by failing one transaction (40P01); the cycle can only arise in
 * rare interleavings (an order moved while it was being read), so the change simply runs again.
 */
async function retryOnDeadlock<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if ((e as { code?: string } | null)?.code !== "40P01" || i >= attempts) throw e;
    }
  }
}

export async function applyCustomerWebhook(sql: Sql, shop: string, payload: unknown): Promise<ApplyOutcome> {
  const c = parseOrThrow(CustomerWebhookSchema, stripNulDeep(payload), "customer webhook");
  const tags = Array.isArray(c.tags)
    ? c.tags
    : (c.tags ?? "")
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean);
  const rows = await sql.query(
    `INSERT INTO "Customer" AS c (shop, id, email, "firstName", "lastName", phone, tags, "emailConsent", "smsConsent", "updatedAt")
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, ${ts("$10")})
     ON CONFLICT (shop, id) DO UPDATE SET email = excluded.email, "firstName" = excluded."firstName", "lastName" = excluded."lastName",
       phone = excluded.phone, tags = excluded.tags, "emailConsent" = excluded."emailConsent", "smsConsent" = excluded."smsConsent", "updatedAt" = excluded."updatedAt"
     WHERE c."updatedAt" IS NULL OR excluded."updatedAt" >= c."updatedAt"
     RETURNING id`,
    [
      shop,
      c.id,
      c.email ?? null,
      c.first_name ?? null,
      c.last_name ?? null,
      c.phone ?? null,
      tags,
      c.email_marketing_consent?.state ? c.email_marketing_consent.state.toUpperCase() : null,
      c.sms_marketing_consent?.state ? c.sms_marketing_consent.state.toUpperCase() : null,
      c.updated_at,
    ],
  );
  return rows.length ? "applied" : "stale";
}

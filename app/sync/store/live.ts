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

/** Parses and applies an order webhook; says what changed so features can react without parsing it again. */
export async function applyOrderChange(sql: Sql, shop: string, payload: unknown): Promise<AppliedOrder> {
  // NUL is stripped at the webhook dispatcher; again here (the one rule, app/lib/text.ts) for any other caller.
  const o = parseOrThrow(OrderWebhookSchema, stripNulDeep(payload), "order webhook");
  return retryOnDeadlock(() =>
    sql.transaction(async (tx): Promise<AppliedOrder> => {
      const customerId = o.customer?.id ?? null;
      // The customers whose aggregates this change recomputes are locked first, in id order, before
      // the order is written: under READ COMMITTED a refresh counts what was committed when its
      // statement began, so two writers for one customer must run one after the other, or the
      // later refresh overwrites the figures with a count that misses the other's order.
      const seen = await tx.query<{ customerId: string | null }>(`SELECT "customerId" FROM "Order" WHERE shop = $1 AND id = $2`, [
        shop,
        o.id,
      ]);
      const locked = new Set<string>();
      const seenCustomer = seen[0]?.customerId != null ? String(seen[0].customerId) : null;
      await lockCustomers(tx, shop, [customerId, seenCustomer], locked);
      if (customerId) {
        // A customer seen first through an order: a stub the customer sync / webhook fills in.
        await tx.query(
          `INSERT INTO "Customer" (shop, id, email, "firstName", "lastName", phone) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (shop, id) DO NOTHING`,
          [
            shop,
            customerId,
            o.customer?.email ?? null,
            o.customer?.first_name ?? null,
            o.customer?.last_name ?? null,
            o.customer?.phone ?? null,
          ],
        );
        // A stub another writer inserted meanwhile was invisible to the first lock: lock it now.
        if (!locked.has(customerId)) await lockCustomers(tx, shop, [customerId], locked);
      }
      const before = await tx.query<{ customerId: string | null }>(
        `SELECT "customerId" FROM "Order" WHERE shop = $1 AND id = $2 FOR UPDATE`,
        [shop, o.id],
      );
      const movedFrom = before[0]?.customerId != null ? String(before[0].customerId) : null;
      // Another change moved the order between the first read and its lock (rare): lock that one too.
      if (movedFrom && !locked.has(movedFrom)) await lockCustomers(tx, shop, [movedFrom], locked);
      const won = await tx.query(
        `INSERT INTO "Order" AS o (shop, id, "customerId", name, "processedAt", "createdAt", "updatedAt", "cancelledAt", test, "financialStatus", "currentTotal", "totalPrice", currency, "discountCodes")
       VALUES ($1, $2, $3, $4, ${ts("$5")}, ${ts("$6")}, ${ts("$7")}, ${ts("$8")}, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (shop, id) DO UPDATE SET "customerId" = excluded."customerId", name = excluded.name, "processedAt" = excluded."processedAt",
         "createdAt" = excluded."createdAt", "updatedAt" = excluded."updatedAt", "cancelledAt" = excluded."cancelledAt", test = excluded.test,
         "financialStatus" = excluded."financialStatus", "currentTotal" = excluded."currentTotal", "totalPrice" = excluded."totalPrice",
         currency = excluded.currency, "discountCodes" = excluded."discountCodes"
       WHERE excluded."updatedAt" >= o."updatedAt"
       RETURNING id`,
        [
          shop,
          o.id,
          customerId,
          o.name ?? null,
          o.processed_at ?? o.created_at,
          o.created_at,
          o.updated_at,
          o.cancelled_at ?? null,
          o.test,
          o.financial_status ? o.financial_status.toUpperCase() : null,
          o.current_total_price ?? o.total_price,
          o.total_price,
          o.currency,
          o.discount_codes.map((d) => d.code),
        ],
      );
      const previous = movedFrom;
      const result = { orderId: o.id, customerId, previousCustomerId: previous !== customerId ? previous : null };
      if (!won.length) return { outcome: "stale", ...result }; // an older version delivered late
      const lineIds = o.line_items.map((l) => l.id);
      await tx.query(`DELETE FROM "OrderLine" WHERE shop = $1 AND "orderId" = $2 AND NOT (id = ANY($3::bigint[]))`, [shop, o.id, lineIds]);
      if (o.line_items.length) {
        const L = o.line_items;
        await tx.query(
          `INSERT INTO "OrderLine" AS l (shop, id, "orderId", "productId", "variantId", "productTitle", "productType", vendor, quantity, "unitPrice")
         SELECT $1, u.id, $2, u.pid, u.vid, u.title, u.ptype, u.vendor, u.qty, u.price
         FROM unnest($3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::int[], $10::numeric[]) AS u(id, pid, vid, title, ptype, vendor, qty, price)
         ON CONFLICT (shop, "orderId", id) DO UPDATE SET "productId" = excluded."productId", "variantId" = excluded."variantId",
           "productTitle" = excluded."productTitle", "productType" = coalesce(excluded."productType", l."productType"), vendor = excluded.vendor,
           quantity = excluded.quantity, "unitPrice" = excluded."unitPrice"`,
          [
            shop,
            o.id,
            lineIds,
            L.map((l) => l.product_id ?? null),
            L.map((l) => l.variant_id ?? null),
            L.map((l) => l.title ?? null),
            L.map((l) => l.product_type ?? null),
            L.map((l) => l.vendor ?? null),
            L.map((l) => l.quantity),
            L.map((l) => l.price),
          ],
        );
      }
      const affected = [...new Set([customerId, previous].filter((c): c is string => !!c))];
      await refreshAggregates(tx, shop, affected);
      return { outcome: "applied", ...result };
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

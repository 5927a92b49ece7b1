import type { Sql } from "../../db/sql";
import { SIGNAL_KINDS, type SignalEvents } from "../../domain/analytics/index";
import { qualifyingOrder } from "./qualifying";

const DISCOUNT = SIGNAL_KINDS.indexOf("discount"),
  REFUND = SIGNAL_KINDS.indexOf("refund");
// coalesce: a null status would make the packed text null and string_agg would drop the order
const REFUNDED = `coalesce(upper("financialStatus") IN ('REFUNDED', 'PARTIALLY_REFUNDED'), false)`;

/**
 * The churn score's order signals (ADR 110), in order-id order a chunk at a time: a qualifying order
 * of a customer that used a discount code ("discount"), and one Shopify reports as refunded or partly
 * refunded ("refund"). Dated at the order: the refund's own time is not stored. Each chunk comes back
 * as one packed text value ("customerId,epochMs,discount,refund" per order), so a shop with millions of
 * discounted orders never becomes millions of row objects.
 */
export async function* orderSignalBatches(sql: Sql, shop: string, chunk = 50_000): AsyncGenerator<SignalEvents> {
  let after = "-9223372036854775808"; // below every bigint id
  for (;;) {
    const rows = await sql.query<{ b: string | null; last: string | null; n: number }>(
      `SELECT string_agg(c, ';' ORDER BY id) AS b, max(id)::text AS last, count(*)::int AS n FROM (
         SELECT id, "customerId"::text || ',' || (extract(epoch from "processedAt") * 1000)::bigint::text || ','
                || (cardinality("discountCodes") > 0)::int::text || ',' || (${REFUNDED})::int::text AS c
           FROM "Order"
          WHERE shop = $1 AND id > $2::bigint AND "customerId" IS NOT NULL AND ${qualifyingOrder()}
            AND (cardinality("discountCodes") > 0 OR ${REFUNDED})
          ORDER BY id LIMIT $3) s`,
      [shop, after, chunk],
    );
    const r = rows[0];
    if (r?.b) yield unpack(r.b);
    if (!r?.last || r.n < chunk) return;
    after = r.last;
  }
}

function unpack(b: string): SignalEvents {
  const customerIds: string[] = [],
    kinds: number[] = [],
    at: number[] = [];
  for (const item of b.split(";")) {
    const [c, ms, discount, refund] = item.split(",");
    if (discount === "1") {
      customerIds.push(c!);
      kinds.push(DISCOUNT);
      at.push(Number(ms));
    }
    if (refund === "1") {
      customerIds.push(c!);
      kinds.push(REFUND);
      at.push(Number(ms));
    }
  }
  return { customerIds, kinds: Uint8Array.from(kinds), at: Float64Array.from(at) };
}

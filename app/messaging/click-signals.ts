import type { Sql } from "../db/sql";
import { SIGNAL_KINDS, type SignalEvents } from "../domain/analytics/index";

const CLICK = SIGNAL_KINDS.indexOf("click");

/**
 * Human clicks in the shop's emails (EmailEngagement; machine clicks such as link scanners excluded,
 * ADR 093) as the churn score's "click" signal (ADR 110), in id order a chunk at a time, each chunk
 * one packed text value ("customerId,epochMs" per click).
 */
export async function* clickSignalBatches(sql: Sql, shop: string, chunk = 50_000): AsyncGenerator<SignalEvents> {
  let after = "";
  for (;;) {
    const rows = await sql.query<{ b: string | null; last: string | null; n: number }>(
      `SELECT string_agg(c, ';' ORDER BY id) AS b, max(id) AS last, count(*)::int AS n FROM (
         SELECT id, "customerId"::text || ',' || (extract(epoch from at) * 1000)::bigint::text AS c
           FROM "EmailEngagement"
          WHERE shop = $1 AND kind = 'click' AND NOT machine AND id > $2
          ORDER BY id LIMIT $3) s`,
      [shop, after, chunk],
    );
    const r = rows[0];
    if (r?.b) {
      const items = r.b.split(";");
      const customerIds = new Array<string>(items.length);
      const at = new Float64Array(items.length);
      for (let k = 0; k < items.length; k++) {
        const i = items[k]!.indexOf(",");
        customerIds[k] = items[k]!.slice(0, i);
        at[k] = Number(items[k]!.slice(i + 1));
      }
      yield { customerIds, kinds: new Uint8Array(items.length).fill(CLICK), at };
    }
    if (!r?.last || r.n < chunk) return;
    after = r.last;
  }
}

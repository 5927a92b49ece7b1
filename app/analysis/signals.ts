import type { Sql } from "../db/sql";
import { clickSignalBatches } from "../messaging/store";
import { orderSignalBatches } from "../sync/store/order-signals";
import type { Computation } from "./worker-client";

/**
 * Hands the run's computation the churn score's signals beyond purchase history (ADR 110): discount
 * use and refunds from the sync's orders, human email clicks from messaging. Each kind joins the
 * score's features only where the shop has enough of it (the domain decides, at the training cut).
 * Returns how many events were read.
 */
export async function feedSignals(sql: Sql, shop: string, comp: Pick<Computation, "addSignals">): Promise<number> {
  let events = 0;
  for (const source of [orderSignalBatches(sql, shop), clickSignalBatches(sql, shop)])
    for await (const batch of source) {
      events += batch.customerIds.length;
      if (batch.customerIds.length) await comp.addSignals(batch);
    }
  return events;
}

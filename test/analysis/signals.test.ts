import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIGNAL_KINDS, type SignalEvents } from "../../app/domain/analytics/index";
import { clickSignalBatches } from "../../app/messaging/store";
import { orderSignalBatches } from "../../app/sync/store/order-signals";
import { feedSignals } from "../../app/analysis/signals";
import { createTestDb, type TestDb } from "../support/db";
import { insertOrders, insertShop, SHOP } from "./support";

/**
 * The churn score's signals beyond purchase history (issue 15 item 6, ADR 110) as the analysis reads
 * them: discount use and refunds from the synced orders, human clicks from the email engagement
 * table. Only qualifying orders of customers, only human clicks, only this shop; read in id order a
 * chunk at a time, nothing lost at chunk boundaries.
 */
const OTHER = "other-signals.myshopify.com";
const events = (batches: SignalEvents[]) =>
  batches.flatMap((b) => b.customerIds.map((c, k) => `${c} ${SIGNAL_KINDS[b.kinds[k]!]} ${new Date(b.at[k]!).toISOString()}`)).sort();
const all = async <T>(g: AsyncGenerator<T>) => {
  const out: T[] = [];
  for await (const x of g) out.push(x);
  return out;
};

describe("signal readers", () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(process.env.TEST_DATABASE_URL ? "postgres" : "pglite");
    const sql = t.db.sql;
    await insertShop(sql, SHOP, "UTC");
    await insertShop(sql, OTHER, "UTC");
    await insertOrders(sql, [
      { id: 1, customer: 10, at: "2026-01-05T10:00:00Z", total: "50.00" }, // code
      { id: 2, customer: 10, at: "2026-02-05T10:00:00Z", total: "20.00" }, // refunded
      { id: 3, customer: 11, at: "2026-03-05T10:00:00Z", total: "30.00" }, // code and partly refunded
      { id: 4, customer: 11, at: "2026-03-06T10:00:00Z", total: "30.00" }, // nothing
      { id: 5, customer: 12, at: "2026-03-07T10:00:00Z", total: "30.00", test: true }, // code, but a test order
      { id: 6, customer: 12, at: "2026-03-08T10:00:00Z", total: "30.00", cancelled: true }, // code, but cancelled
      { id: 7, customer: null, at: "2026-03-09T10:00:00Z", total: "30.00" }, // code, but a guest
    ]);
    await insertOrders(sql, [{ id: 8, customer: 10, at: "2026-03-10T10:00:00Z", total: "30.00" }], OTHER);
    await sql.query(`UPDATE "Order" SET "discountCodes" = ARRAY['WELCOME10'] WHERE id IN (1, 3, 5, 6, 7, 8)`);
    await sql.query(`UPDATE "Order" SET "financialStatus" = 'REFUNDED' WHERE id = 2`);
    await sql.query(`UPDATE "Order" SET "financialStatus" = 'partially_refunded' WHERE id = 3`);
    const click = (id: string, shop: string, customer: number, kind: string, machine: boolean, at: string) =>
      sql.query(
        `INSERT INTO "EmailEngagement" (id, shop, "messageLogId", "customerId", kind, machine, "userAgentClass", at) VALUES ($1, $2, 'm', $3, $4, $5, 'browser', $6::timestamptz AT TIME ZONE 'UTC')`,
        [id, shop, customer, kind, machine, at],
      );
    await click("e1", SHOP, 10, "click", false, "2026-04-01T08:00:00Z");
    await click("e2", SHOP, 11, "click", true, "2026-04-01T08:00:00Z"); // a link scanner
    await click("e3", SHOP, 11, "open", false, "2026-04-01T08:00:00Z"); // an open is not a click
    await click("e4", SHOP, 11, "click", false, "2026-04-02T08:00:00Z");
    await click("e5", OTHER, 10, "click", false, "2026-04-03T08:00:00Z");
  });
  afterAll(() => t.drop());

  const expected = [
    "10 click 2026-04-01T08:00:00.000Z",
    "10 discount 2026-01-05T10:00:00.000Z",
    "10 refund 2026-02-05T10:00:00.000Z",
    "11 click 2026-04-02T08:00:00.000Z",
    "11 discount 2026-03-05T10:00:00.000Z",
    "11 refund 2026-03-05T10:00:00.000Z",
  ];

  it("reads discount use, refunds and human clicks of this shop's customers' qualifying orders", async () => {
    const sql = t.db.sql;
    const read = [...(await all(orderSignalBatches(sql, SHOP))), ...(await all(clickSignalBatches(sql, SHOP)))];
    expect(events(read)).toEqual(expected);
  });

  it("loses nothing at chunk boundaries (one order or click per chunk)", async () => {
    const sql = t.db.sql;
    const orders = await all(orderSignalBatches(sql, SHOP, 1));
    const clicks = await all(clickSignalBatches(sql, SHOP, 1));
    expect(orders.length).toBe(3);
    expect(events([...orders, ...clicks])).toEqual(expected);
  });

  it("hands every event to the computation before the fit", async () => {
    const got: SignalEvents[] = [];
    const n = await feedSignals(t.db.sql, SHOP, { addSignals: async (b) => void got.push(b) });
    expect(n).toBe(6);
    expect(events(got)).toEqual(expected);
  });
});

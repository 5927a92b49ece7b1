import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { armTotalsFromOrders, armTotalsFromTotals } from "../../app/campaigns/measure";
import { getCampaign, touchStateCounts } from "../../app/campaigns/store";
import { touchVariantCounts } from "../../app/campaigns/store/touch-batch";
import {
  campaignTotals,
  reconcileCampaignTotals,
  refreshMemberWindows,
  subtractMembers,
  touchStateTotals,
  touchVariantTotals,
} from "../../app/campaigns/store/totals";
import { withShop, type Sql } from "../../app/db/sql";
import { applyOrderChanges, parseOrderWebhook } from "../../app/sync/store/live";
import { createOrderBatcher } from "../../app/sync/webhooks";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import { mulberry32 } from "../../app/domain/stats/prng";

/**
 * A campaign's measurement totals kept up to date as orders arrive (ADR 105) must equal, exactly,
 * the from-scratch join the page ran until then (ADR 094) — after any sequence of new orders,
 * refunds (a lower current total), cancellations, edits (date, code, another customer), test
 * orders, duplicate and stale deliveries, concurrent webhooks for one customer, and a
 * reconciliation running while orders arrive.
 */
const S = "totals.myshopify.com";
const DAY = 86_400_000;
const LAUNCH = Date.UTC(2026, 9, 1, 9, 30);
const CODE = "WB-TOTALS1";

interface OrderState {
  id: number;
  customerId: number | null;
  processedAt: number;
  updatedAt: number;
  cents: number;
  codes: string[];
  cancelled: boolean;
  test: boolean;
}

function payload(o: OrderState) {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: o.id,
    name: `#${o.id}`,
    created_at: iso(o.processedAt),
    processed_at: iso(o.processedAt),
    updated_at: iso(o.updatedAt),
    cancelled_at: o.cancelled ? iso(o.updatedAt) : null,
    test: o.test,
    financial_status: o.cancelled ? "refunded" : "paid",
    currency: "EUR",
    total_price: "999.00",
    current_total_price: (o.cents / 100).toFixed(2),
    discount_codes: o.codes.map((code) => ({ code })),
    customer: o.customerId === null ? null : { id: o.customerId, email: `c${o.customerId}@example.com` },
    line_items: [],
  };
}

const hook = (tx: Sql, shop: string, ids: string[] | null) => refreshMemberWindows(tx, shop, ids, new Date()).then(() => undefined);

async function seedCampaigns(sql: Sql) {
  await sql.query(`INSERT INTO "Shop" (domain, name, "currencyCode", "updatedAt") VALUES ($1, 'T', 'EUR', now()) ON CONFLICT DO NOTHING`, [
    S,
  ]);
  const campaign = async (id: string, launchAt: number, days: number, code: string, kind = "campaign") =>
    sql.query(
      `INSERT INTO "Campaign" (id, shop, name, status, settings, "launchAt", tag, "discountCode", kind, "createdAt", "updatedAt")
       VALUES ($1, $2, $1, 'active', $3::jsonb, $4, 'wb', $5, $6, $4, $4)`,
      [id, S, JSON.stringify({ reactivationWindowDays: days, holdoutShare: 0.3 }), new Date(launchAt).toISOString(), code, kind],
    );
  await campaign("camp-a", LAUNCH, 30, CODE);
  await campaign("camp-b", LAUNCH + 10 * DAY, 14, "WB-OTHER");
  await campaign("prog-c", LAUNCH, 30, "WB-PROG", "program");
  // Customers 1..40; A has 1..30, B has 20..40 (overlapping), the program 1..10 (not measured here).
  const members = (cid: string, from: number, to: number, at: number) =>
    sql.query(
      `INSERT INTO "CampaignMember" ("campaignId", "customerId", shop, branch, holdout, "assignedAt")
       SELECT $1, g, $2, CASE WHEN g % 5 = 0 THEN 'VIP' ELSE 'Standard' END, g % 3 = 0, $5 FROM generate_series($3::int, $4::int) g`,
      [cid, S, from, to, new Date(at).toISOString()],
    );
  await sql.query(`INSERT INTO "Customer" (shop, id) SELECT $1, g FROM generate_series(1, 45) g ON CONFLICT DO NOTHING`, [S]);
  await members("camp-a", 1, 30, LAUNCH);
  await members("camp-b", 20, 40, LAUNCH + 10 * DAY);
  await members("prog-c", 1, 10, LAUNCH);
  for (const id of ["camp-a", "camp-b"]) await reconcileCampaignTotals(sql, S, id, new Date());
}

/** The maintained figures and the from-scratch join, per campaign, and a reconciliation that must find nothing to fix. */
async function expectTotalsMatchJoin(sql: Sql) {
  for (const id of ["camp-a", "camp-b"]) {
    const c = await getCampaign(sql, S, id);
    const maintained = await armTotalsFromTotals(sql, c, new Date());
    const joined = await armTotalsFromOrders(sql, c);
    expect(maintained).toEqual(joined);
    const before = await campaignTotals(sql, id);
    expect(await reconcileCampaignTotals(sql, S, id, new Date())).toBe(0);
    const after = await campaignTotals(sql, id);
    // Same buckets, same exact decimals (numeric scale may differ: compare as numbers of cents).
    const norm = (rows: typeof before) =>
      rows.map((r) => ({ ...r, revenue: Number(r.revenue), revenueSq: Number(r.revenueSq), redeemedTotal: Number(r.redeemedTotal) }));
    expect(norm(before)).toEqual(norm(after));
  }
}

describe.each(databaseKinds)("campaign measurement totals kept from the orders (%s)", (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
    await seedCampaigns(t.db.sql);
  }, 120_000);
  afterAll(async () => t?.drop());

  it("equal the from-scratch join after a random sequence of orders, refunds, cancellations, edits, duplicate and stale deliveries", async () => {
    const sql = t.db.sql;
    const random = mulberry32(105); // seeded, so a failure reproduces
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
    const orders: OrderState[] = [];
    const batcher = createOrderBatcher(20);
    // Webhooks arrive scoped to their shop (row-level security, ADR 098), some through the batcher at once.
    const scoped = withShop(sql, S);
    let clock = LAUNCH + 40 * DAY;
    let nextId = 5_000;
    for (let round = 0; round < 40; round++) {
      const deliveries: OrderState[] = [];
      for (let k = 0; k < 1 + Math.floor(random() * 8); k++) {
        const r = random();
        clock += 1000;
        if (r < 0.4 || !orders.length) {
          const o: OrderState = {
            id: nextId++,
            customerId: random() < 0.05 ? null : 1 + Math.floor(random() * 45),
            processedAt: LAUNCH + Math.floor((random() * 45 - 5) * DAY),
            updatedAt: clock,
            cents: 100 + Math.floor(random() * 20_000),
            codes: random() < 0.3 ? [pick([CODE, CODE.toLowerCase(), "WB-OTHER", "OTHER"])] : [],
            cancelled: false,
            test: random() < 0.05,
          };
          orders.push(o);
          deliveries.push({ ...o });
        } else if (r < 0.55) {
          const o = pick(orders); // refund: a lower current total
          o.cents = Math.floor(o.cents * random());
          o.updatedAt = clock;
          deliveries.push({ ...o });
        } else if (r < 0.65) {
          const o = pick(orders); // cancellation (or its reversal, as an edit would)
          o.cancelled = !o.cancelled;
          o.updatedAt = clock;
          deliveries.push({ ...o });
        } else if (r < 0.75) {
          const o = pick(orders); // edit: another date, another code, another customer
          if (random() < 0.4) o.processedAt = LAUNCH + Math.floor((random() * 45 - 5) * DAY);
          else if (random() < 0.5) o.codes = random() < 0.5 ? [CODE] : [];
          else o.customerId = 1 + Math.floor(random() * 45);
          o.updatedAt = clock;
          deliveries.push({ ...o });
        } else if (r < 0.9) {
          deliveries.push({ ...pick(orders) }); // duplicate delivery of the current version
        } else {
          const o = pick(orders); // stale delivery: an older version arrives late and changes nothing
          deliveries.push({ ...o, cents: o.cents + 500, updatedAt: o.updatedAt - 1 });
        }
      }
      // Versions of one order go one after another (as the batcher keeps them); distinct orders at once.
      const byOrder = new Map<number, OrderState[]>();
      for (const d of deliveries) byOrder.set(d.id, [...(byOrder.get(d.id) ?? []), d]);
      await Promise.all(
        [...byOrder.values()].map(async (versions) => {
          for (const v of versions) {
            if (random() < 0.5) await batcher.apply(scoped, S, parseOrderWebhook(payload(v)), hook);
            else await applyOrderChanges(sql, S, [parseOrderWebhook(payload(v))], hook);
          }
        }),
      );
      if (round % 10 === 9) await expectTotalsMatchJoin(sql);
    }
    await expectTotalsMatchJoin(sql);
    // The scenario reached every kind of bucket: both arms reactivated, redemptions counted.
    const a = await armTotalsFromTotals(sql, await getCampaign(sql, S, "camp-a"), new Date());
    expect(a.arms.treated.reactivated).toBeGreaterThan(0);
    expect(a.arms.holdout.reactivated).toBeGreaterThan(0);
    expect(a.redemptions).toBeGreaterThan(0);

    // A member redacted (customers/redact) leaves the totals with its figures.
    const redacted = ["3", "21"];
    await sql.transaction(async (tx) => {
      await subtractMembers(tx, S, redacted);
      await tx.query(`DELETE FROM "CampaignMember" WHERE shop = $1 AND "customerId" = ANY($2::bigint[])`, [S, redacted]);
    });
    await expectTotalsMatchJoin(sql);

    // A missed event (an order written behind the hook's back) is healed by the reconciliation.
    await sql.query(
      `INSERT INTO "Order" (shop, id, "customerId", "processedAt", "createdAt", "updatedAt", "currentTotal", "totalPrice", currency)
       VALUES ($1, 99999, 2, $2, $2, $2, 77.70, 77.70, 'EUR')`,
      [S, new Date(LAUNCH + 2 * DAY).toISOString()],
    );
    const c = await getCampaign(sql, S, "camp-a");
    expect(await armTotalsFromTotals(sql, c, new Date())).not.toEqual(await armTotalsFromOrders(sql, c));
    expect(await reconcileCampaignTotals(sql, S, "camp-a", new Date())).toBe(1);
    await expectTotalsMatchJoin(sql);

    // A bucket gone wrong (members right) is rebuilt from the members' figures.
    await sql.query(
      `UPDATE "CampaignTotals" SET revenue = revenue + 1, customers = customers + 1 WHERE "campaignId" = 'camp-a' AND day = -1`,
    );
    expect(await armTotalsFromTotals(sql, c, new Date())).not.toEqual(await armTotalsFromOrders(sql, c));
    expect(await reconcileCampaignTotals(sql, S, "camp-a", new Date())).toBe(0);
    await expectTotalsMatchJoin(sql);
  }, 300_000);

  it("never count an order twice when webhooks for one customer arrive at once, on two instances, while a reconciliation runs", async () => {
    const sql = t.db.sql;
    // Two instances: two batchers over the same database, each delivering every order (duplicates).
    const one = createOrderBatcher(10);
    const two = createOrderBatcher(10);
    const customer = 12; // a member of camp-a
    const versions: OrderState[] = [];
    for (let i = 0; i < 30; i++) {
      const o: OrderState = {
        id: 7_000 + (i % 10),
        customerId: customer,
        processedAt: LAUNCH + (1 + (i % 10)) * DAY,
        updatedAt: LAUNCH + 50 * DAY + i * 1000,
        cents: 1_000 + i * 37,
        codes: i % 2 ? [CODE] : [],
        cancelled: i % 7 === 6,
        test: false,
      };
      versions.push(o);
    }
    await Promise.all([
      ...versions.map((v) => one.apply(sql, S, parseOrderWebhook(payload(v)), hook)),
      ...versions.map((v) => two.apply(withShop(sql, S), S, parseOrderWebhook(payload(v)), hook)),
      reconcileCampaignTotals(sql, S, "camp-a", new Date()),
      ...versions.slice(0, 10).map((v) => applyOrderChanges(sql, S, [parseOrderWebhook(payload(v))], hook)),
    ]);
    await expectTotalsMatchJoin(sql);
    const m = (
      await sql.query<{ revenue: string }>(
        `SELECT "windowRevenue"::text AS revenue FROM "CampaignMember" WHERE "campaignId" = 'camp-a' AND "customerId" = $1`,
        [customer],
      )
    )[0]!;
    const stored = await sql.query<{ s: string | null }>(
      `SELECT sum("currentTotal")::text AS s FROM "Order" WHERE shop = $1 AND "customerId" = $2 AND "cancelledAt" IS NULL AND NOT test
         AND "processedAt" >= $3::timestamp AND "processedAt" < $4::timestamp`,
      [S, customer, new Date(LAUNCH).toISOString(), new Date(LAUNCH + 30 * DAY).toISOString()],
    );
    expect(Number(m.revenue)).toBe(Number(stored[0]!.s ?? 0));
  }, 300_000);

  it("touch counts kept by the trigger equal a count over the touches after inserts, state changes and deletes", async () => {
    const sql = t.db.sql;
    const same = async () => {
      const sort = <T extends { state?: string }>(xs: T[]) => [...xs].sort((a, b) => String(a.state).localeCompare(String(b.state)));
      expect(sort(await touchStateTotals(sql, "camp-a"))).toEqual(sort(await touchStateCounts(sql, "camp-a")));
      expect(await touchVariantTotals(sql, "camp-a")).toEqual(await touchVariantCounts(sql, "camp-a"));
    };
    await sql.query(
      `INSERT INTO "CampaignTouch" ("campaignId", "customerId", day, shop, step, branch, "dueAt", variant, "updatedAt")
       SELECT 'camp-a', g, d, $1, d, 'Standard', now(), CASE WHEN d = 3 THEN CASE WHEN g % 2 = 0 THEN 'main' ELSE 'no_click' END END, now()
         FROM generate_series(1, 30) g, (VALUES (0), (3), (7)) AS x(d)`,
      [S],
    );
    await same();
    await sql.query(`UPDATE "CampaignTouch" SET state = 'sent' WHERE "campaignId" = 'camp-a' AND day IN (0, 3) AND "customerId" % 4 <> 0`);
    await sql.query(
      `UPDATE "CampaignTouch" SET reason = 'flow_only' WHERE "campaignId" = 'camp-a' AND day = 3 AND state = 'sent' AND "customerId" % 3 = 0`,
    );
    await sql.query(
      `UPDATE "CampaignTouch" SET state = 'canceled' WHERE "campaignId" = 'camp-a' AND state = 'scheduled' AND "customerId" % 5 = 0`,
    );
    // Withshop: the trigger writes the counts under row-level security as the scoped role.
    await withShop(sql, S).query(
      `UPDATE "CampaignTouch" SET state = 'held' WHERE "campaignId" = 'camp-a' AND state = 'scheduled' AND day = 7 AND "customerId" < 10`,
    );
    await sql.query(`UPDATE "CampaignTouch" SET "jobId" = 'j' WHERE "campaignId" = 'camp-a'`); // no counted column changes
    await same();
    await sql.query(`DELETE FROM "CampaignTouch" WHERE "campaignId" = 'camp-a' AND "customerId" IN (2, 9)`);
    await same();
    expect((await touchVariantTotals(sql, "camp-a")).length).toBe(2);
  });
});

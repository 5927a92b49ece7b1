import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discountCost, measure } from "../../app/campaigns/measure";
import { requestLaunch } from "../../app/campaigns/launch";
import { reconcileReactivations } from "../../app/campaigns/touch";
import { diffOfMeans, diffOfProportions } from "../../app/domain/stats";
import { databaseKinds } from "../support/db";
import { campaignHarness, campaignRow, SHOP, type CampaignHarness } from "./support";

const DAY = 86_400_000;

describe.each(databaseKinds)("campaign measurement (%s)", (kind) => {
  let h: CampaignHarness;
  beforeAll(async () => {
    h = await campaignHarness(kind, { customers: 400, vip: 20, standard: 250, seed: 5 });
  }, 180_000);
  afterAll(async () => h?.close());

  it("reactivation, lift and incremental revenue with CIs, redemptions and cost, VIP revenue, cumulative series on a seeded scenario", async () => {
    const { campaignId } = await requestLaunch(h.deps, {
      shop: SHOP,
      launchKey: "measure-campaign-01",
      name: "Measured",
      settings: { holdoutShare: 0.3 },
    });
    await h.runDue({ queues: ["campaign.launch"] });
    const c = await campaignRow(h.db, campaignId);
    const launchAt = new Date(c.launchAt).getTime();
    const members = await h.db.sql.query<{ id: string; holdout: boolean; branch: string }>(
      `SELECT "customerId"::text AS id, holdout, branch FROM "CampaignMember" WHERE "campaignId" = $1 ORDER BY "customerId"`,
      [campaignId],
    );
    const treated = members.filter((m) => !m.holdout);
    const holdout = members.filter((m) => m.holdout);
    expect(holdout.length).toBeGreaterThan(40);

    // Scenario: every 4th treated customer orders (half with the code), every 8th holdout customer orders;
    // one order lands after the window, one is a test order, one is canceled: none of those count.
    let oid = 880_000_000;
    const insert = async (
      cust: string,
      dayOffset: number,
      total: number,
      codes: string[],
      extra: { test?: boolean; cancelled?: boolean } = {},
    ) => {
      const at = new Date(launchAt + dayOffset * DAY).toISOString();
      await h.db.sql.query(
        `INSERT INTO "Order" (shop, id, "customerId", name, "processedAt", "createdAt", "updatedAt", "cancelledAt", test, "currentTotal", "totalPrice", currency, "discountCodes")
         VALUES ($1, $2, $3, '#M', $4, $4, $4, $5, $6, $7, $7, 'EUR', $8::text[])`,
        [SHOP, String(oid++), cust, at, extra.cancelled ? at : null, !!extra.test, total, codes],
      );
    };
    const exp = {
      t: { x: 0, rev: [] as number[] },
      h: { x: 0, rev: [] as number[] },
      redemptions: 0,
      redeemedPaid: 0,
      vipRevenue: 0,
      tDays: [] as number[],
    };
    for (const [i, m] of treated.entries()) {
      let rev = 0;
      if (i % 4 === 0) {
        const withCode = i % 8 === 0;
        const total = 40 + (i % 7) * 10;
        const day = (i % 25) + 0.5;
        await insert(m.id, day, total, withCode ? [c.discountCode.toLowerCase()] : []);
        if (i % 12 === 0) await insert(m.id, day + 2, 30, []); // a second order in the window adds revenue, not a reactivation
        rev = total + (i % 12 === 0 ? 30 : 0);
        exp.t.x++;
        exp.tDays.push(day);
        if (withCode) {
          exp.redemptions++;
          exp.redeemedPaid += total;
        }
        if (m.branch === "VIP") exp.vipRevenue += rev;
      } else if (i % 4 === 1) {
        await insert(m.id, 31, 500, []); // after the 30-day window
      } else if (i === 2) {
        await insert(m.id, 3, 500, [], { test: true });
      } else if (i === 6) {
        await insert(m.id, 3, 500, [], { cancelled: true });
      }
      exp.t.rev.push(rev);
    }
    for (const [i, m] of holdout.entries()) {
      let rev = 0;
      if (i % 8 === 0) {
        rev = 45;
        await insert(m.id, (i % 20) + 1, rev, []);
        exp.h.x++;
      }
      exp.h.rev.push(rev);
    }
    h.clock.now = new Date(launchAt + 40 * DAY);
    expect(await reconcileReactivations(h.deps, SHOP)).toBe(exp.t.x + exp.h.x);

    const r = await measure(h.deps, SHOP, campaignId);
    const m = r.measurement;
    expect(m.treated).toMatchObject({ n: treated.length, reactivated: exp.t.x });
    expect(m.holdout).toMatchObject({ n: holdout.length, reactivated: exp.h.x });
    const prop = diffOfProportions({ x: exp.t.x, n: treated.length }, { x: exp.h.x, n: holdout.length });
    expect(m.lift.absolute).toBeCloseTo(exp.t.x / treated.length - exp.h.x / holdout.length, 12);
    expect(m.lift.ci!.low).toBeCloseTo(prop.ci!.low, 12);
    expect(m.lift.ci!.high).toBeCloseTo(prop.ci!.high, 12);
    const sums = (xs: number[]) => ({ n: xs.length, sum: xs.reduce((a, b) => a + b, 0), sumSq: xs.reduce((a, b) => a + b * b, 0) });
    const means = diffOfMeans(sums(exp.t.rev), sums(exp.h.rev));
    const meanT = sums(exp.t.rev).sum / treated.length;
    const meanH = sums(exp.h.rev).sum / holdout.length;
    expect(m.incrementalRevenue.estimate).toBeCloseTo((meanT - meanH) * treated.length, 6);
    expect(m.incrementalRevenue.ci!.low).toBeCloseTo(means.ci!.low * treated.length, 6);
    expect(m.incrementalRevenue.ci!.low).toBeLessThan(m.incrementalRevenue.estimate!);
    expect(m.discount.redemptions).toBe(exp.redemptions);
    expect(m.discount.cost).toBeCloseTo((exp.redeemedPaid * 0.15) / 0.85, 2);
    expect(r.discountCostMethod).toMatch(/estimated from the code's 15%/);
    expect(m.vipWonBackRevenue).toBeCloseTo(exp.vipRevenue, 2);

    // Cumulative series: day 30 has everyone who reactivated; each day's share counts orders up to that day.
    expect(r.series).toHaveLength(31);
    expect(r.series[30]!.treated).toBeCloseTo(exp.t.x / treated.length, 12);
    expect(r.series[30]!.holdout).toBeCloseTo(exp.h.x / holdout.length, 12);
    expect(r.series[5]!.treated).toBeCloseTo(exp.tDays.filter((d) => d < 6).length / treated.length, 12);
    for (let d = 1; d < r.series.length; d++) expect(r.series[d]!.treated!).toBeGreaterThanOrEqual(r.series[d - 1]!.treated!);
    const branches = Object.fromEntries(r.branches.map((b) => [b.branch, b]));
    expect(branches.VIP!.treated.n + branches.Standard!.treated.n).toBe(treated.length);
  }, 120_000);

  it("discount cost for a fixed amount is the amount per redemption", () => {
    const s = { settings: { discount: { kind: "fixed_amount", value: 10 } } } as any;
    expect(discountCost(s, 7, 999).cost).toBe(70);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import { createOutreachTasks, endOfLocalDay, firstEscalationAt, outreachSummary, outreachTaskFor } from "../../app/outreach/create-tasks";
import { isAppError } from "../../app/lib/errors";
import { DAY, LAUNCH, SHOP, ago, seedCustomer, seedOrder, seedShop, settings } from "./support";

describe.each(databaseKinds)("createOutreachTasks (%s)", (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
    const sql = t.db.sql;
    await seedShop(sql);
    // 1: rebuys the same candle in three orders -> restock hold.
    await seedCustomer(sql, "1", { firstName: "Rita" });
    for (const [i, d] of [
      [101, 300],
      [102, 200],
      [103, 120],
    ] as const) {
      await seedOrder(sql, {
        id: String(i),
        customerId: "1",
        processedAt: ago(d),
        lines: [{ productId: "9001", title: "Fig Candle", type: "Candles" }],
      });
    }
    // 2: buys mug + coaster together twice (different orders) -> bundle; single products never rebought.
    await seedCustomer(sql, "2", { firstName: "Sam" });
    await seedOrder(sql, {
      id: "201",
      customerId: "2",
      processedAt: ago(400),
      lines: [
        { productId: "7001", title: "Mug", type: "Kitchen" },
        { productId: "7002", title: "Coaster", type: "Kitchen" },
      ],
    });
    await seedOrder(sql, {
      id: "202",
      customerId: "2",
      processedAt: ago(150),
      lines: [
        { productId: "7002", title: "Coaster", type: "Kitchen" },
        { productId: "7001", title: "Mug v2", type: "Kitchen" },
      ],
    });
    // 3: different scarves in two orders -> early access to Scarves; a test order and a cancelled one with a rebuy must not count.
    await seedCustomer(sql, "3", { firstName: "Uma" });
    await seedOrder(sql, {
      id: "301",
      customerId: "3",
      processedAt: ago(500),
      lines: [{ productId: "5001", title: "Red Scarf", type: "Scarves" }],
    });
    await seedOrder(sql, {
      id: "302",
      customerId: "3",
      processedAt: ago(250),
      lines: [{ productId: "5002", title: "Blue Scarf", type: "Scarves" }],
    });
    await seedOrder(sql, {
      id: "303",
      customerId: "3",
      processedAt: ago(200),
      test: true,
      lines: [{ productId: "5002", title: "Blue Scarf", type: "Scarves" }],
    });
    await seedOrder(sql, {
      id: "304",
      customerId: "3",
      processedAt: ago(190),
      cancelledAt: ago(189),
      lines: [{ productId: "5002", title: "Blue Scarf", type: "Scarves" }],
    });
    // 4: one custom item without a product -> concierge call; an order after launch is not history.
    await seedCustomer(sql, "4", { firstName: "" });
    await seedOrder(sql, { id: "401", customerId: "4", processedAt: ago(200), lines: [{ productId: null, title: "Gift wrap" }] });
    await seedOrder(sql, {
      id: "402",
      customerId: "4",
      processedAt: new Date(LAUNCH.getTime() + DAY),
      lines: [{ productId: "1", title: "A" }],
    });
    await seedOrder(sql, {
      id: "403",
      customerId: "4",
      processedAt: new Date(LAUNCH.getTime() + 2 * DAY),
      lines: [{ productId: "1", title: "A" }],
    });
  });
  afterAll(() => t.drop());

  it("creates one task per VIP with a perk derived from their own order lines", async () => {
    const r = await createOutreachTasks(t.db.sql, {
      shop: SHOP,
      campaignId: "c1",
      launchAt: LAUNCH,
      settings: settings(),
      customerIds: ["1", "2", "3", "4", "2"],
    });
    expect(r).toEqual({ created: 4, existing: 0 });
    const perk = async (id: string) => (await outreachTaskFor(t.db.sql, SHOP, "c1", id))!.perk;
    expect(await perk("1")).toEqual({ kind: "restock_hold", text: "Restock hold for Fig Candle", productIds: ["9001"] });
    // Both items were rebought, so a restock hold ranks first (latest title); the bundle is offered as the alternative.
    expect(await perk("2")).toEqual({ kind: "restock_hold", text: "Restock hold for Mug v2", productIds: ["7001"] });
    const [d] = await t.db.sql.query<{ perkDetails: { alternatives: Array<{ kind: string; text: string }>; orders: number } }>(
      `SELECT "perkDetails" FROM "OutreachTask" WHERE "customerId" = 2 AND "campaignId" = 'c1'`,
    );
    expect(d!.perkDetails.orders).toBe(2);
    expect(d!.perkDetails.alternatives).toContainEqual({ kind: "bundle", text: "Bundle of Mug v2 + Coaster" });
    expect(await perk("3")).toEqual({ kind: "early_access", text: "Early access to new Scarves", productIds: [] });
    expect(await perk("4")).toEqual({ kind: "concierge_call", text: "Personal styling/concierge call", productIds: [] });
  });

  it("assigns the concierge, writes the script and the due dates", async () => {
    const task = (await outreachTaskFor(t.db.sql, SHOP, "c1", "1"))!;
    expect(task.status).toBe("to_contact");
    expect(task.concierge).toEqual({ name: "Ana", role: "Customer care lead" });
    expect(task.script).toContain("Hi Rita,");
    expect(task.script).toContain("This is Ana, Customer care lead at Maple Goods.");
    expect(task.script).toContain("restock hold for Fig Candle");
    // Launch 09:00 UTC = 04:00 in New York; contact is due by the shop's midnight (05:00 UTC next day).
    expect(task.dueAt.toISOString()).toBe("2026-12-02T05:00:00.000Z");
    expect(task.followUpAt!.toISOString()).toBe("2026-12-08T09:00:00.000Z");
    expect((await outreachTaskFor(t.db.sql, SHOP, "c1", "4"))!.script).toContain("Hi there,");
  });

  it("is idempotent: a retried launch creates nothing new and changes nothing", async () => {
    const before = await t.db.sql.query(`SELECT id, "perkText", script, "updatedAt" FROM "OutreachTask" ORDER BY id`);
    const r = await createOutreachTasks(t.db.sql, {
      shop: SHOP,
      campaignId: "c1",
      launchAt: LAUNCH,
      settings: settings(),
      customerIds: ["4", "3", "2", "1"],
    });
    expect(r).toEqual({ created: 0, existing: 4 });
    expect(await t.db.sql.query(`SELECT id, "perkText", script, "updatedAt" FROM "OutreachTask" ORDER BY id`)).toEqual(before);
    // Two concurrent launches of the same campaign (double click) still make one task each.
    const both = await Promise.all([
      createOutreachTasks(t.db.sql, { shop: SHOP, campaignId: "c2", launchAt: LAUNCH, settings: settings(), customerIds: ["1", "2"] }),
      createOutreachTasks(t.db.sql, { shop: SHOP, campaignId: "c2", launchAt: LAUNCH, settings: settings(), customerIds: ["1", "2"] }),
    ]);
    expect(both.reduce((s, x) => s + x.created, 0)).toBe(2);
    expect((await t.db.sql.query(`SELECT id FROM "OutreachTask" WHERE "campaignId" = 'c2'`)).length).toBe(2);
  });

  it("uses the merchant's perk override and the role when no concierge is named", async () => {
    await createOutreachTasks(t.db.sql, {
      shop: SHOP,
      campaignId: "c3",
      launchAt: LAUNCH,
      settings: settings({ conciergeName: "", perkOverride: "A handwritten card and a sample box" }),
      customerIds: ["1"],
    });
    const task = (await outreachTaskFor(t.db.sql, SHOP, "c3", "1"))!;
    expect(task.perk).toEqual({ kind: "override", text: "A handwritten card and a sample box", productIds: [] });
    expect(task.concierge).toEqual({ name: "", role: "Customer care lead" });
    expect(task.script).toContain("This is Customer care lead at Maple Goods.");
  });

  it("rejects bad input with INVALID_INPUT and writes nothing", async () => {
    const n = (await t.db.sql.query(`SELECT id FROM "OutreachTask"`)).length;
    const err = await createOutreachTasks(t.db.sql, {
      shop: SHOP,
      campaignId: "c4",
      launchAt: LAUNCH,
      settings: settings(),
      customerIds: ["1", "gid://shopify/Customer/2"],
    }).catch((e) => e);
    expect(isAppError(err, "INVALID_INPUT")).toBe(true);
    expect((await t.db.sql.query(`SELECT id FROM "OutreachTask"`)).length).toBe(n);
    expect(
      await createOutreachTasks(t.db.sql, { shop: SHOP, campaignId: "c4", launchAt: LAUNCH, settings: settings(), customerIds: [] }),
    ).toEqual({ created: 0, existing: 0 });
  });

  it("summarises tasks by status for the campaign page", async () => {
    const s = await outreachSummary(t.db.sql, SHOP, "c1", LAUNCH);
    expect(s).toMatchObject({ to_contact: 4, contacted: 0, won_back: 0, total: 4, overdue: 0 });
    expect((await outreachSummary(t.db.sql, SHOP, "c1", new Date("2026-12-02T05:00:00Z"))).overdue).toBe(4);
    expect((await outreachSummary(t.db.sql, SHOP)).total).toBe(7);
    expect(await outreachTaskFor(t.db.sql, SHOP, "nope", "1")).toBeNull();
  });
});

describe("dates", () => {
  it("ends the launch day at the shop's midnight, across DST and zones", () => {
    expect(endOfLocalDay(new Date("2026-12-01T09:00:00Z"), "UTC").toISOString()).toBe("2026-12-02T00:00:00.000Z");
    expect(endOfLocalDay(new Date("2026-12-01T23:30:00Z"), "Asia/Tokyo").toISOString()).toBe("2026-12-02T15:00:00.000Z");
    expect(endOfLocalDay(new Date("2026-03-08T12:00:00Z"), "America/New_York").toISOString()).toBe("2026-03-09T04:00:00.000Z");
    expect(endOfLocalDay(new Date("2026-12-01T05:30:00Z"), "Asia/Kolkata").toISOString()).toBe("2026-12-01T18:30:00.000Z");
    expect(firstEscalationAt(LAUNCH, settings()).toISOString()).toBe("2026-12-10T09:00:00.000Z");
  });
});

import { beforeAll, describe, expect, it } from "vitest";
import { appRequest as req, setAppEnv, settle, TEST_APP } from "../support/app-env";

setAppEnv();

const { loader } = await import("../../app/routes/app.customers.$id");
const { database } = await import("../../app/db.server");
const { env } = await import("../../app/env.server");
const { runAnalysis } = await import("../../app/analysis/run-analysis");
const { rebuildShopLedger } = await import("../../app/points/store");
const { insertCustomers, insertOrders, insertShop } = await import("./support");

/**
 * The customer profile page (issue 15, item 7) on a seeded shop: the loader composes every
 * feature's reads for one customer of the session's shop; another shop's customer is a 404.
 */
const SHOP = TEST_APP.shop;
const OTHER = "someone-else.myshopify.com";
const DAY = 86_400_000;
const day = (n: number) => new Date(Date.now() - n * DAY).toISOString();

type Profile = Awaited<ReturnType<typeof import("../../app/analysis/customer-profile.server").loadCustomerProfile>>;
const profile = async (id: string) => settle(loader({ request: req(`/app/customers/${id}`), params: { id }, context: {} }));

beforeAll(async () => {
  await database.ready();
  const sql = database.sql;
  await database.prisma.session.create({
    data: {
      id: `offline_${SHOP}`,
      shop: SHOP,
      state: "s",
      isOnline: false,
      scope: env().SCOPES,
      accessToken: "shpat_test",
      expires: new Date(Date.now() + DAY),
    },
  });
  // Points on from the start (ADR 079) so every order earns.
  await insertShop(sql, SHOP, "UTC", { points: { program: { enabled: true, earnFrom: null, changedAt: null } } });
  await insertShop(sql, OTHER, "UTC");
  await insertCustomers(sql, [1, 2, 3], SHOP);
  await insertCustomers(sql, [7], OTHER);
  await insertOrders(
    sql,
    [
      { id: 101, customer: 1, at: day(300), total: "40.00" },
      { id: 102, customer: 1, at: day(200), total: "60.00" },
      { id: 103, customer: 1, at: day(120), total: "25.50", cancelled: true },
      { id: 201, customer: 2, at: day(10), total: "20.00" },
      { id: 301, customer: 3, at: day(30), total: "500.00" },
    ],
    SHOP,
  );
  await insertOrders(sql, [{ id: 701, customer: 7, at: day(5), total: "99.00" }], OTHER);
  await runAnalysis({ sql }, SHOP);
  await rebuildShopLedger(sql, SHOP, new Date());

  // Customer 1: a holdout in a one-off campaign, treated in the Standard program with a sent and a skipped touch.
  for (const [id, name, kind] of [
    ["camp-1", "Spring win-back", "campaign"],
    ["prog-1", "Standard program", "program"],
  ]) {
    await sql.query(
      `INSERT INTO "Campaign" (id, shop, name, status, settings, tag, "discountCode", kind, "updatedAt") VALUES ($1, $2, $3, 'active', '{}', 'winback', upper($1), $4, now())`,
      [id, SHOP, name, kind],
    );
  }
  await sql.query(
    `INSERT INTO "CampaignMember" (shop, "campaignId", "customerId", branch, holdout, "assignedAt", "holdoutUntil") VALUES
       ($1, 'camp-1', 1, 'Standard', true, $2::timestamptz AT TIME ZONE 'UTC', $3::timestamptz AT TIME ZONE 'UTC'),
       ($1, 'prog-1', 1, 'Standard', false, $4::timestamptz AT TIME ZONE 'UTC', NULL)`,
    [SHOP, day(100), day(10), day(5)],
  );
  await sql.query(
    `INSERT INTO "CampaignTouch" (shop, "campaignId", "customerId", day, step, branch, "dueAt", state, reason, "updatedAt") VALUES
       ($1, 'prog-1', 1, 0, 0, 'Standard', $2::timestamptz AT TIME ZONE 'UTC', 'sent', NULL, now()),
       ($1, 'prog-1', 1, 3, 1, 'Standard', $3::timestamptz AT TIME ZONE 'UTC', 'skipped', 'contact_cap', now())`,
    [SHOP, day(5), day(2)],
  );
  await sql.query(
    `INSERT INTO "MessageLog" (id, shop, "customerId", kind, "dedupeKey", "campaignId", status, reason, subject, "updatedAt", "sentAt") VALUES
       ('log-1', $1, 1, 'winback_standard', 'prog-1:1:day0', 'prog-1', 'sent', NULL, 'We miss you', now(), now()),
       ('log-2', $1, 1, 'winback_standard', 'prog-1:1:day3', 'prog-1', 'skipped', 'contact_cap', NULL, now(), NULL),
       ('log-9', $1, 2, 'winback_standard', 'prog-1:2:day0', 'prog-1', 'sent', NULL, 'Not customer 1', now(), now())`,
    [SHOP],
  );
  await sql.query(
    `INSERT INTO "OutreachTask" (id, shop, "campaignId", "customerId", "launchAt", "followUpDays", "graceDays", "perkKind", "perkText", script, "dueAt", "updatedAt")
     VALUES ('task-1', $1, 'camp-1', 1, now(), 3, 7, 'gift', 'A handwritten card and a gift', 'Hello', now() + interval '2 days', now())`,
    [SHOP],
  );
  await sql.query(
    `INSERT INTO "OutreachNote" (id, "taskId", shop, "customerId", author, body) VALUES ('note-1', 'task-1', $1, 1, 'Ana', 'Called, left a message')`,
    [SHOP],
  );
});

describe("customer profile page", () => {
  it("shows the customer's orders, score, memberships (holdout flag), messages, points and outreach notes", async () => {
    const res = await profile("1");
    expect(res.status).toBe(200);
    const p = (await res.json()) as Profile;
    expect(p.name).toBe("First1 Last1");
    expect(p.adminUrl).toBe("shopify://admin/customers/1");
    // Newest first; the cancelled order is listed with its state and left out of the chart.
    expect(p.orders.map((o) => o.name)).toEqual(["#103", "#102", "#101"]);
    expect(p.orders[0]).toMatchObject({ status: "Cancelled", counts: false, total: "$25.50" });
    expect(p.orders[1]).toMatchObject({ total: "$60.00", counts: true });

    expect(p.score).not.toBeNull();
    expect(p.score!.lapseClass).toBe("high_risk");
    expect(p.score!.churnRisk).toMatch(/^\d+(\.\d)?%$/);
    expect(p.score!.rfm.find((r) => r.label === "Monetary")!.value).toContain("$100.00");
    expect(p.score!.horizonDays).toBeGreaterThan(0);

    const byId = Object.fromEntries(p.memberships.map((m) => [m.campaignId, m]));
    expect(byId["camp-1"]).toMatchObject({ name: "Spring win-back", kind: "campaign", holdout: true, touches: [] });
    expect(byId["prog-1"]).toMatchObject({ kind: "program", holdout: false });
    expect(byId["prog-1"]!.touches.map((t) => [t.day, t.state, t.reason])).toEqual([
      [3, "Skipped", "Contact cap"],
      [0, "Sent", null],
    ]);

    expect(p.messages.map((m) => [m.status, m.reason, m.campaign])).toEqual(
      expect.arrayContaining([
        ["Sent", null, "Standard program"],
        ["Skipped", "Contact cap", "Standard program"],
      ]),
    );
    expect(p.messages).toHaveLength(2);

    // 40 + 60 earn (1 point per unit by default); the cancelled order earns nothing.
    expect(p.points).not.toBeNull();
    expect(p.points!.balance).toBe("100");
    expect(p.points!.lots.map((l) => l.source)).toEqual(["Order 102", "Order 101"]);

    expect(p.outreach).toHaveLength(1);
    expect(p.outreach[0]).toMatchObject({ campaign: "Spring win-back", perk: "A handwritten card and a gift" });
    expect(p.outreach[0]!.notes.map((n) => n.body)).toEqual(["Called, left a message"]);
  });

  it("a customer with nothing but orders gets empty sections, not errors", async () => {
    const p = (await (await profile("3")).json()) as Profile;
    expect(p.memberships).toEqual([]);
    expect(p.messages).toEqual([]);
    expect(p.outreach).toEqual([]);
    expect(p.orders).toHaveLength(1);
  });

  it("another shop's customer, an unknown id and a malformed id are 404; no token gets no data", async () => {
    const other = await profile("7");
    expect(other.status).toBe(404);
    expect(await other.text()).not.toContain("Last7");
    expect((await profile("999")).status).toBe(404);
    expect((await profile("1;DROP")).status).toBe(404);
    const anon = await settle(loader({ request: req("/app/customers/1", { token: false }), params: { id: "1" }, context: {} }));
    expect(anon.status).not.toBe(200);
  });
});
